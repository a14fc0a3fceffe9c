import { trailingScheduleName } from '../../../lambdas/domain/offline-notification';
import type { Binding } from '../../../lambdas/domain/model';
import { bind } from '../../../lambdas/usecases/bindings';
import { getOffline } from '../../../lambdas/usecases/offline';
import { sendTrailingNotification } from '../../../lambdas/usecases/offline-notification';
import { publish } from '../../../lambdas/usecases/publish';
import { installApp, type InstalledApp } from '../../support/memory/apps';
import { memoryPorts, type MemoryPorts } from '../../support/memory';

/**
 * ONOFFLINEEVENT (docs/notifications.md) through publish and the notifier, on in-memory ports with a manual
 * clock: leading notifications, one trailing notification per window through the scheduler
 * port, and trailing notifications that a later publish supersedes.
 */

const HANDLER = 'https://app.example.com/offline';

async function setUp(minTimeout: number, authType?: number): Promise<{ ports: MemoryPorts; app: InstalledApp; binding: Binding; publishDeal: (id: number, userId?: number) => Promise<number> }> {
  const ports = memoryPorts();
  const app = await installApp(ports, { userId: 2 });
  await bind(ports, app.caller, { event: 'ONCRMDEALUPDATE', eventType: 'offline', connector: '' }, ports.clock.current);
  await bind(ports, app.caller, { event: 'ONOFFLINEEVENT', handler: HANDLER, eventType: 'online', connector: '', options: { minTimeout }, ...(authType !== undefined ? { authType } : {}) }, ports.clock.current);
  const binding = (await ports.bindings.listByEvent(app.memberId, 'ONOFFLINEEVENT'))[0]!;
  ports.deliveries.drain();
  const publishDeal = async (id: number, userId = 5) =>
    (await publish(ports, { memberId: app.memberId, events: [{ event: 'ONCRMDEALUPDATE', data: { FIELDS: { ID: id } }, userId }] }, ports.clock.current)).notifications_queued;
  return { ports, app, binding, publishDeal };
}

/** Runs the schedules due now through the notifier, as the scheduler would. */
async function fireDue(ports: MemoryPorts) {
  return Promise.all(ports.scheduler.due(ports.clock.current).map((s) => sendTrailingNotification(ports, s.input, ports.clock.current)));
}

describe('ONOFFLINEEVENT notifications', () => {
  it('minTimeout 0: one notification per publish request, however close together', async () => {
    const { ports, publishDeal } = await setUp(0);

    const queued = [await publishDeal(1), await publishDeal(2), await publishDeal(3)];

    expect(queued).toEqual([1, 1, 1]);
    expect(ports.deliveries.messages).toHaveLength(3);
    expect(ports.scheduler.schedules.size).toBe(0);
  });

  it('leads at once, for the user who caused the records, without minTimeout in its data', async () => {
    const { ports, binding, publishDeal } = await setUp(5);

    expect(await publishDeal(1, 5)).toBe(1);

    expect(ports.deliveries.messages).toEqual([
      expect.objectContaining({ event: 'ONOFFLINEEVENT', bindingId: binding.id, handler: HANDLER, userId: 5, data: { type: 'add', event: 'ONCRMDEALUPDATE', handler: HANDLER } }),
    ]);
  });

  it('inside the window: nothing now, one trailing notification at the window’s end, sent with minTimeout', async () => {
    // Arrange
    const { ports, binding, publishDeal } = await setUp(5);
    const t0 = ports.clock.current;
    await publishDeal(1);
    ports.deliveries.drain();

    // Act: three more publishes inside the window, then the window ends.
    for (const t of [1000, 2000, 4999]) {
      ports.clock.current = t0 + t;
      expect(await publishDeal(t)).toBe(0);
    }
    ports.clock.current = t0 + 5000;
    const outcomes = await fireDue(ports);

    // Assert
    expect(outcomes).toEqual(['sent']);
    expect(ports.deliveries.messages).toEqual([
      expect.objectContaining({ event: 'ONOFFLINEEVENT', userId: 2, data: { type: 'add', event: 'ONCRMDEALUPDATE', handler: HANDLER, minTimeout: 5 } }),
    ]);
    // Sending opened the next window: a publish right after is trailing again, not leading.
    ports.clock.advance(1000);
    expect(await publishDeal(99)).toBe(0);
    expect([...ports.scheduler.schedules.values()].map((s) => [s.name, s.at])).toEqual([[trailingScheduleName(binding, t0 + 10_000), t0 + 10_000]]);
  });

  it('of parallel publishers inside one window exactly one leads, and one trailing notification is scheduled', async () => {
    const { ports, publishDeal } = await setUp(5);

    const queued = await Promise.all(Array.from({ length: 6 }, (_, i) => publishDeal(i)));

    expect(queued.reduce((a, b) => a + b, 0)).toBe(1);
    expect(ports.deliveries.messages).toHaveLength(1);
    expect(ports.scheduler.schedules.size).toBe(1);
  });

  it('a publish after the window leads, and supersedes the trailing notification that has not run yet', async () => {
    const { ports, publishDeal } = await setUp(5);
    const t0 = ports.clock.current;
    await publishDeal(1);
    ports.clock.current = t0 + 1000;
    await publishDeal(2);
    const [schedule] = [...ports.scheduler.schedules.values()];
    ports.deliveries.drain();

    // The scheduler is late: a publish after the window's end comes first.
    ports.clock.current = t0 + 6000;
    expect(await publishDeal(3)).toBe(1);
    const outcome = await sendTrailingNotification(ports, schedule!.input, ports.clock.current);

    expect(outcome).toBe('superseded');
    expect(ports.deliveries.messages).toHaveLength(1);
  });

  it('no notification when the records were drained before the window ended', async () => {
    const { ports, app, publishDeal } = await setUp(5);
    const t0 = ports.clock.current;
    await publishDeal(1);
    ports.clock.current = t0 + 1000;
    await publishDeal(2);
    ports.deliveries.drain();
    await getOffline(ports.journal, app.caller, { limit: 50, clear: true, connector: '', error: false }, ports.clock.current);

    ports.clock.current = t0 + 5000;

    expect(await fireDue(ports)).toEqual(['no-pending-records']);
    expect(ports.deliveries.messages).toEqual([]);
    // The window is closed: the next publish inside it schedules again rather than staying silent.
    ports.clock.current = t0 + 5001;
    expect(await publishDeal(3)).toBe(1);
  });

  it('no notification when the binding is gone', async () => {
    const { ports, binding, publishDeal } = await setUp(5);
    const t0 = ports.clock.current;
    await publishDeal(1);
    ports.clock.current = t0 + 1000;
    await publishDeal(2);
    ports.deliveries.drain();
    await ports.bindings.delete(binding);

    ports.clock.current = t0 + 5000;

    expect(await fireDue(ports)).toEqual(['binding-gone']);
    expect(ports.deliveries.messages).toEqual([]);
  });

  it('tokens go to the binding’s user first, then the user who caused the records, then the installing administrator', async () => {
    const bound = await setUp(0, 7);
    await bound.publishDeal(1, 5);
    const caused = await setUp(0);
    await caused.publishDeal(1, 5);
    const automation = await setUp(0);
    await automation.publishDeal(1, 0);

    expect([bound, caused, automation].map((s) => s.ports.deliveries.messages[0]!.userId)).toEqual([7, 5, 2]);
  });

  it('announces an update when the publish only merged into pending records', async () => {
    const { ports, publishDeal } = await setUp(0);
    await publishDeal(1);
    ports.deliveries.drain();

    await publishDeal(1);

    expect(ports.deliveries.messages[0]!.data).toMatchObject({ type: 'update', event: 'ONCRMDEALUPDATE' });
  });
});
