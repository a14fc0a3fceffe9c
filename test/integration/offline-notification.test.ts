import type { Binding, Installation } from '../../lambdas/domain/model';
import { trailingScheduleName, type TrailingNotification } from '../../lambdas/domain/offline-notification';
import type { NotificationScheduler } from '../../lambdas/domain/ports';
import { considerNotifications, sendTrailingNotification, type NotificationDeps } from '../../lambdas/usecases/offline-notification';
import { wiring } from '../support/wiring';
import { messageIdOf } from '../../lambdas/domain/journal';
import { installUser, type InstalledUser } from '../support/fixtures';
import { RecordingDeliveryQueue } from '../support/recording-delivery-queue';

/**
 * The ONOFFLINEEVENT throttle (docs/notifications.md) on DynamoDB Local, driven by a fake clock: every
 * decision takes `now` as an argument, so the tests walk through windows without waiting.
 */
class RecordingScheduler implements NotificationScheduler {
  readonly scheduled: { name: string; at: number; input: TrailingNotification }[] = [];
  async scheduleAt(name: string, at: number, input: TrailingNotification): Promise<void> {
    if (!this.scheduled.some((s) => s.name === name)) this.scheduled.push({ name, at, input });
  }
}

async function setUp(minTimeout: number, userId = 0): Promise<{ app: InstalledUser; binding: Binding; deps: NotificationDeps & { deliveries: RecordingDeliveryQueue; scheduler: RecordingScheduler } }> {
  const app = await installUser();
  const w = wiring();
  const binding = await w.bindings.create({
    memberId: app.memberId,
    clientId: app.clientId,
    event: 'ONOFFLINEEVENT',
    offline: false,
    handler: 'https://app.example.com/offline',
    userId,
    connector: '',
    options: { minTimeout },
  }, Date.now());
  await w.registry.addConnector(app.memberId, app.clientId, '');
  return { app, binding, deps: { registry: w.registry, bindings: w.bindings, journal: w.journal, throttle: w.throttle, scheduler: new RecordingScheduler(), deliveries: new RecordingDeliveryQueue() } };
}

const T0 = Date.now();
const change = (clientId: string, type: 'add' | 'update' = 'add', event = 'ONCRMDEALADD') => new Map([[clientId, { change: { event, type }, userId: 5 }]]);

async function journalOne(app: InstalledUser, id: number): Promise<void> {
  await wiring().journal.write({ memberId: app.memberId, clientId: app.clientId, connector: '' }, [{ eventName: 'ONCRMDEALADD', eventData: { ID: id }, eventAdditional: {}, messageId: messageIdOf('ONCRMDEALADD', { ID: id }) }], Date.now());
}

describe('ONOFFLINEEVENT throttle with a fake clock', () => {
  it('minTimeout 0: one notification per publish request, however close together', async () => {
    const { app, deps } = await setUp(0);
    for (let i = 0; i < 3; i++) expect(await considerNotifications(deps, app.memberId, change(app.clientId), T0 + i)).toBe(1);
    expect(deps.deliveries.recorded).toHaveLength(3);
    expect(deps.scheduler.scheduled).toEqual([]);
  });

  it('minTimeout 5: leads at once, schedules one trailing notification for the window’s end, leads again after a quiet period', async () => {
    const { app, binding, deps } = await setUp(5);
    expect(await considerNotifications(deps, app.memberId, change(app.clientId), T0)).toBe(1);
    expect(deps.deliveries.recorded[0]).toMatchObject({ event: 'ONOFFLINEEVENT', handler: binding.handler, userId: 5, data: { type: 'add', event: 'ONCRMDEALADD', handler: binding.handler } });
    expect(deps.deliveries.recorded[0]!.data).not.toHaveProperty('minTimeout');

    // Inside the window: nothing now, one trailing schedule at T0 + 5 s, whatever the number of publishes.
    for (const t of [1000, 2000, 4999]) expect(await considerNotifications(deps, app.memberId, change(app.clientId, 'update', 'ONCRMDEALUPDATE'), T0 + t)).toBe(0);
    expect(deps.scheduler.scheduled).toEqual([{ name: trailingScheduleName(binding, T0 + 5000), at: T0 + 5000, input: { memberId: app.memberId, clientId: app.clientId, bindingId: binding.id, windowEnd: T0 + 5000 } }]);

    // At the window's end, with records pending, the trailing notification goes out (with minTimeout) and opens the next window.
    await journalOne(app, 1);
    expect(await sendTrailingNotification(deps, deps.scheduler.scheduled[0]!.input, T0 + 5000)).toBe('sent');
    expect(deps.deliveries.recorded[1]).toMatchObject({ data: { type: 'update', event: 'ONCRMDEALUPDATE', minTimeout: 5 } });
    // Running the same schedule twice sends nothing more.
    expect(await sendTrailingNotification(deps, deps.scheduler.scheduled[0]!.input, T0 + 5001)).toBe('superseded');
    // The next window lasts to T0 + 10 s: a publish at +7 s schedules a trailing one for +10 s.
    expect(await considerNotifications(deps, app.memberId, change(app.clientId), T0 + 7000)).toBe(0);
    expect(deps.scheduler.scheduled.map((s) => s.at)).toEqual([T0 + 5000, T0 + 10_000]);

    // After a quiet period the next publish leads again at once.
    await sendTrailingNotification(deps, deps.scheduler.scheduled[1]!.input, T0 + 10_000);
    expect(await considerNotifications(deps, app.memberId, change(app.clientId), T0 + 60_000)).toBe(1);
    expect(deps.deliveries.recorded).toHaveLength(4);
  });

  it('sends no trailing notification when the records were taken meanwhile', async () => {
    const { app, deps } = await setUp(3);
    await considerNotifications(deps, app.memberId, change(app.clientId), T0);
    await considerNotifications(deps, app.memberId, change(app.clientId), T0 + 1000);
    expect(await sendTrailingNotification(deps, deps.scheduler.scheduled[0]!.input, T0 + 3000)).toBe('no-pending-records');
    expect(deps.deliveries.recorded).toHaveLength(1);
    // The window is over: the next publish leads.
    expect(await considerNotifications(deps, app.memberId, change(app.clientId), T0 + 3500)).toBe(1);
  });

  it('lets a publish that leads after the window win over a late trailing schedule: one notification, not two', async () => {
    const { app, deps } = await setUp(3);
    await journalOne(app, 2);
    await considerNotifications(deps, app.memberId, change(app.clientId), T0);
    await considerNotifications(deps, app.memberId, change(app.clientId), T0 + 1000);
    expect(await considerNotifications(deps, app.memberId, change(app.clientId), T0 + 3200)).toBe(1); // the schedule is late
    expect(await sendTrailingNotification(deps, deps.scheduler.scheduled[0]!.input, T0 + 3300)).toBe('superseded');
    expect(deps.deliveries.recorded).toHaveLength(2);
  });

  it('concurrent publishers: of 12 at once exactly one leads and exactly one schedules the trailing notification', async () => {
    const { app, deps } = await setUp(10);
    const leads = await Promise.all(Array.from({ length: 12 }, () => considerNotifications(deps, app.memberId, change(app.clientId), T0)));
    expect(leads.reduce((a, b) => a + b, 0)).toBe(1);
    // The other eleven are inside the new window: one of them marked the trailing notification.
    expect(deps.scheduler.scheduled).toHaveLength(1);
    // Twelve more inside the window change nothing: the trailing notification is already due.
    let calls = 0;
    const counting = { ...deps, scheduler: { scheduleAt: async () => void calls++ } };
    const more = await Promise.all(Array.from({ length: 12 }, (_, i) => considerNotifications(counting, app.memberId, change(app.clientId), T0 + 100 + i)));
    expect(more.reduce((a, b) => a + b, 0)).toBe(0);
    expect(calls).toBe(0);
    expect(deps.deliveries.recorded).toHaveLength(1);
  });

  it('uses the binding’s user for tokens, else the user who caused the records, else the installing administrator', async () => {
    const own = await setUp(0, 9);
    await considerNotifications(own.deps, own.app.memberId, change(own.app.clientId), T0);
    expect(own.deps.deliveries.recorded[0]!.userId).toBe(9);
    const causedBy = await setUp(0);
    await considerNotifications(causedBy.deps, causedBy.app.memberId, change(causedBy.app.clientId), T0);
    expect(causedBy.deps.deliveries.recorded[0]!.userId).toBe(5);
    const installer = await setUp(0);
    await considerNotifications(installer.deps, installer.app.memberId, new Map([[installer.app.clientId, { change: { event: 'ONTASKADD', type: 'add' as const }, userId: 0 }]]), T0);
    const installation = (await wiring().registry.getInstallation(installer.app.memberId, installer.app.clientId)) as Installation;
    expect(installer.deps.deliveries.recorded[0]!.userId).toBe(installation.installerUserId);
  });

  it('ignores applications without journal records and other applications’ bindings', async () => {
    const { app, deps } = await setUp(0);
    expect(await considerNotifications(deps, app.memberId, new Map(), T0)).toBe(0);
    expect(await considerNotifications(deps, app.memberId, change('local.someone-else'), T0)).toBe(0);
    expect(deps.deliveries.recorded).toEqual([]);
  });
});
