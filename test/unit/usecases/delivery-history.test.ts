import { deliveryFor } from '../../../lambdas/domain/delivery';
import type { Binding, Caller } from '../../../lambdas/domain/model';
import type { DeliveryMessage } from '../../../lambdas/domain/ports';
import { bind } from '../../../lambdas/usecases/bindings';
import { deliver, type DeliveryDeps, type DeliverySettings } from '../../../lambdas/usecases/deliver';
import { enableHandler, listDeliveries, resendDeliveries, switchOffs, type ResendDeps } from '../../../lambdas/usecases/delivery-history';
import { installApp, PUBLIC_URL } from '../../support/memory/apps';
import { memoryPorts, type MemoryPorts } from '../../support/memory';

/** Push → pull fallback, delivery history, replay and switched-off handlers (docs/delivery.md) on in-memory ports. */

const HANDLER = 'https://handler.example.com/events';
const NOTIFY = 'https://handler.example.com/offline';
const SETTINGS: DeliverySettings = { publicUrl: PUBLIC_URL, accessTokenTtl: 3600, refreshTokenTtl: 86400, timeoutMs: 10_000, retries: 0, retryBaseSeconds: 30, format: 'form', switchOffSeconds: 3600 };
const RETENTION_MS = 7 * 86_400_000;

interface World {
  ports: MemoryPorts;
  admin: Caller;
  user: Caller;
  deps: DeliveryDeps;
  resendDeps: ResendDeps;
  binding: (handler?: string) => Promise<Binding>;
  /** Delivers one event of `binding` now, as the worker would take it from the queue. */
  send: (binding: Binding, id: number, over?: Partial<DeliveryMessage>) => ReturnType<typeof deliver>;
  /** Runs every queued delivery once (retries included), as the worker would. */
  drain: () => Promise<void>;
}

async function world(settings: Partial<DeliverySettings> = {}, options: Record<string, unknown> = { fallback: 'offline' }): Promise<World> {
  const ports = memoryPorts();
  const admin = (await installApp(ports, { userId: 1, admin: true })).caller;
  const user = (await installApp(ports, { memberId: admin.memberId, clientId: admin.clientId, userId: 2, admin: false })).caller;
  ports.deliveries.drain();
  const deps: DeliveryDeps = { registry: ports.registry, log: ports.log, sender: ports.sender, queue: ports.deliveries, settings: { ...SETTINGS, ...settings }, fallback: ports };
  const binding = async (handler = HANDLER) => {
    await bind({ ...ports, log: ports.log }, admin, { event: 'ONCRMDEALADD', handler, eventType: 'online', connector: '', options }, ports.clock.current);
    return (await ports.bindings.listByApplication(admin.memberId, admin.clientId)).find((b) => b.handler === handler && b.event === 'ONCRMDEALADD')!;
  };
  const send = (b: Binding, id: number, over: Partial<DeliveryMessage> = {}) =>
    deliver(deps, { ...deliveryFor(b, 'ONCRMDEALADD', 0, { FIELDS: { ID: id } }, Math.floor(ports.clock.current / 1000)), deliveryId: `msg_00000000-0000-4000-8000-${String(id).padStart(12, '0')}`, ...over }, ports.clock.current);
  const drain = async () => {
    for (const { message } of ports.deliveries.drain()) await deliver(deps, message, ports.clock.current);
  };
  return { ports, admin, user, deps, resendDeps: { log: ports.log, bindings: ports.bindings, queue: ports.deliveries, retentionMs: RETENTION_MS }, binding, send, drain };
}

const queueOf = (c: Caller) => ({ memberId: c.memberId, clientId: c.clientId, connector: '' });

describe('push → pull fallback', () => {
  it('journals a delivery that failed into the default queue, merged per object, and announces it', async () => {
    const w = await world();
    await bind(w.ports, w.admin, { event: 'ONOFFLINEEVENT', handler: NOTIFY, eventType: 'online', connector: '', options: { minTimeout: 0 } }, w.ports.clock.current);
    const b = await w.binding();
    w.ports.sender.script(HANDLER, { status: 500 });

    // A minute apart: a failing handler is called at most once per its spacing.
    const first = await w.send(b, 1);
    w.ports.clock.advance(60_000);
    await w.send(b, 1, { deliveryId: 'msg_00000000-0000-4000-8000-000000000099' }); // the same object again
    w.ports.clock.advance(60_000);
    await w.send(b, 2);

    expect(first).toMatchObject({ kind: 'failed', status: 500, fellBack: true });
    const records = await w.ports.journal.readAll(queueOf(w.admin), w.ports.clock.current);
    const one = records.find((r) => JSON.stringify(r.eventData) === '{"FIELDS":{"ID":1}}');
    expect(records.map((r) => r.eventData)).toHaveLength(2);
    expect(one!.eventAdditional).toEqual({ user_id: '0', failed_delivery: { id: 'msg_00000000-0000-4000-8000-000000000099', handler: HANDLER, error: 'HTTP 500', attempts: 1 } });
    expect(w.ports.deliveries.messages.filter((m) => m.event === 'ONOFFLINEEVENT' && m.handler === NOTIFY).length).toBeGreaterThan(0);
    expect(w.ports.log.attempts.map((a) => a.outcome)).toEqual(['fallback', 'fallback', 'fallback']);
    expect(w.ports.deliveries.parked).toEqual([]);
  });

  it('falls back only after the last retry, and then instead of parking the delivery', async () => {
    const w = await world({ retries: 2 });
    const b = await w.binding();
    w.ports.sender.script(HANDLER, { status: 500 });

    await w.send(b, 5);
    for (let i = 0; i < 2; i++) {
      w.ports.clock.advance(600_000);
      await w.drain();
    }

    expect(w.ports.log.attempts.map((a) => [a.attempt, a.outcome])).toEqual([[1, 'deferred'], [2, 'deferred'], [3, 'fallback']]);
    expect(w.ports.deliveries.parked).toEqual([]);
    expect(await w.ports.journal.readAll(queueOf(w.admin), w.ports.clock.current)).toHaveLength(1);
  });

  it('without the option a failure is only a failure, as today', async () => {
    const w = await world({}, {});
    const b = await w.binding();
    w.ports.sender.script(HANDLER, { status: 500 });

    expect(await w.send(b, 1)).toEqual({ kind: 'failed', status: 500, error: 'HTTP 500' });
    expect(await w.ports.journal.readAll(queueOf(w.admin), w.ports.clock.current)).toEqual([]);
    expect(w.ports.log.attempts.map((a) => a.outcome)).toEqual(['failed']);
  });

  it('refuses a fallback on ONOFFLINEEVENT and an unknown fallback', async () => {
    const w = await world();
    await expect(bind(w.ports, w.admin, { event: 'ONOFFLINEEVENT', handler: NOTIFY, eventType: 'online', connector: '', options: { fallback: 'offline' } }, 0)).rejects.toMatchObject({ code: 'ERROR_ARGUMENT', argument: 'OPTIONS' });
    await expect(bind(w.ports, w.admin, { event: 'ONCRMDEALADD', handler: NOTIFY, eventType: 'online', connector: '', options: { fallback: 'email' } }, 0)).rejects.toMatchObject({ code: 'ERROR_ARGUMENT', argument: 'OPTIONS' });
  });
});

describe('dead handlers', () => {
  it('switches a handler off on 410 Gone: no more POSTs, deliveries fall back; event.delivery.enable switches it on', async () => {
    const w = await world();
    const b = await w.binding();
    w.ports.sender.script(HANDLER, { status: 410 });

    const gone = await w.send(b, 1);
    const sentBefore = w.ports.sender.sent.length;
    const next = await w.send(b, 2);

    expect(gone).toMatchObject({ kind: 'failed', status: 410, fellBack: true, switchedOff: 'the handler answered 410 Gone' });
    expect(next).toMatchObject({ kind: 'dropped', fellBack: true });
    expect(w.ports.sender.sent.length).toBe(sentBefore);
    expect((await switchOffs(w.ports.log, [b])).get(HANDLER)).toEqual({ at: expect.any(Number), reason: 'the handler answered 410 Gone' });
    expect(await w.ports.journal.readAll(queueOf(w.admin), w.ports.clock.current)).toHaveLength(2);

    w.ports.sender.script(HANDLER, { status: 200 });
    expect(await enableHandler(w.ports, w.admin, HANDLER, w.ports.clock.current)).toBe(true);
    expect(await w.send(b, 3)).toMatchObject({ kind: 'delivered' });
    expect(await switchOffs(w.ports.log, [b])).toEqual(new Map());
  });

  it('switches off after failing every delivery for the configured time; without fallback they are dropped; binding again switches on', async () => {
    const w = await world({ switchOffSeconds: 60 }, {});
    const b = await w.binding();
    w.ports.sender.script(HANDLER, { status: 0 } as never, { timeout: true });

    await w.send(b, 1);
    w.ports.clock.advance(30_000);
    expect(await w.send(b, 2)).not.toHaveProperty('switchedOff');
    w.ports.clock.advance(31_000);
    const off = await w.send(b, 3);
    const dropped = await w.send(b, 4);

    expect(off).toMatchObject({ kind: 'failed', switchedOff: expect.stringMatching(/^every delivery failed for \d+ s \(3 attempts in a row\)$/) });
    expect(dropped).toMatchObject({ kind: 'dropped', reason: expect.stringContaining('handler switched off') });
    expect(w.ports.log.attempts.at(-1)).toMatchObject({ outcome: 'dropped', status: 0 });

    // Binding the handler again (another event) switches it on for the application.
    await bind(w.ports, w.admin, { event: 'ONCRMDEALUPDATE', handler: HANDLER, eventType: 'online', connector: '' }, w.ports.clock.current);
    expect(await switchOffs(w.ports.log, [b])).toEqual(new Map());
  });

  it('honours Retry-After of a 503 in the handler’s spacing and the retry’s delay', async () => {
    const w = await world({ retries: 3, retryBaseSeconds: 1 }, {});
    const b = await w.binding();
    w.ports.sender.script(HANDLER, { status: 503, retryAfter: 120 });

    await w.send(b, 1);

    const answeredAt = w.ports.clock.current + 20;
    expect((await w.ports.log.getHealth(HANDLER)).nextAt).toBe(answeredAt + 120_000);
    expect(w.ports.deliveries.queued.map((q) => q.delaySeconds)).toEqual([120]);
    // Another delivery before then waits instead of being sent.
    const later = await w.send(b, 2);
    expect(later.kind === 'deferred' && later.waitSeconds >= 120 && later.waitSeconds <= 121).toBe(true);
  });

  it('only an administrator or the binding’s user switches a handler on', async () => {
    const w = await world();
    await w.binding();
    await expect(enableHandler(w.ports, w.user, HANDLER, 0)).rejects.toMatchObject({ code: 'ERROR_ARGUMENT', argument: 'HANDLER' });
    await expect(enableHandler(w.ports, w.admin, 'https://other.example.com/', 0)).rejects.toMatchObject({ code: 'ERROR_ARGUMENT' });
    expect(await enableHandler(w.ports, w.admin, HANDLER, 0)).toBe(false);
  });
});

describe('event.delivery.list', () => {
  it('pages newest first with total and next, filters by status, event, handler and date', async () => {
    const w = await world({}, {});
    const b = await w.binding();
    w.ports.sender.script(HANDLER, ...Array.from({ length: 60 }, (_, i) => ({ status: i % 3 === 0 ? 500 : 200 })));
    const start = w.ports.clock.current;
    for (let i = 1; i <= 60; i++) {
      await w.send(b, i);
      w.ports.clock.advance(5000);
    }

    const first = await listDeliveries(w.ports, w.admin, { start: 0 });
    const second = await listDeliveries(w.ports, w.admin, { start: 50 });
    const failed = await listDeliveries(w.ports, w.admin, { start: 0, filter: { STATUS: 'failed' } });
    const late = await listDeliveries(w.ports, w.admin, { start: -1, filter: { '>=DATE_CREATE': new Date(start + 250_000).toISOString(), EVENT_NAME: 'oncrmdealadd', HANDLER } });

    expect([first.attempts.length, first.total, first.next]).toEqual([50, 60, 50]);
    expect(first.attempts[0]!.deliveryId).toBe('msg_00000000-0000-4000-8000-000000000060');
    expect([second.attempts.length, second.next]).toEqual([10, undefined]);
    expect(failed.total).toBe(20);
    expect(failed.attempts.every((a) => a.outcome === 'failed' && a.status === 500)).toBe(true);
    expect([late.attempts.length, late.total]).toEqual([10, undefined]);
  });

  it('shows a user who is not an administrator only his own bindings’ attempts', async () => {
    const w = await world({}, {});
    const adminBinding = await w.binding();
    await bind(w.ports, w.user, { event: 'ONCRMDEALADD', handler: 'https://handler.example.com/mine', eventType: 'online', connector: '' }, w.ports.clock.current);
    const mine = (await w.ports.bindings.listByApplication(w.user.memberId, w.user.clientId)).find((b) => b.userId === 2)!;
    await w.send(adminBinding, 1);
    await w.send(mine, 2);

    expect((await listDeliveries(w.ports, w.user, { start: 0 })).attempts.map((a) => a.bindingId)).toEqual([mine.id]);
    expect((await listDeliveries(w.ports, w.admin, { start: 0 })).total).toBe(2);
  });

  it('refuses unsupported filter fields, operators, statuses and malformed dates with ERROR_ARGUMENT', async () => {
    const w = await world();
    for (const filter of [{ ID: 'x' }, { '>STATUS': 'failed' }, { STATUS: 'lost' }, { '>=DATE_CREATE': 'yesterday' }, { '!EVENT_NAME': 'X' }, 'STATUS=failed', { STATUS: { a: 1 } }]) {
      await expect(listDeliveries(w.ports, w.admin, { start: 0, filter })).rejects.toMatchObject({ code: 'ERROR_ARGUMENT', argument: 'FILTER' });
    }
  });
});

describe('event.delivery.resend', () => {
  it('queues every failed delivery again with its original payload and webhook-id; a second resend does it again', async () => {
    const w = await world({}, {});
    const b = await w.binding();
    w.ports.sender.script(HANDLER, { status: 500 }, { status: 500 }, { status: 500 }, { status: 200 });
    for (let i = 1; i <= 5; i++) {
      await w.send(b, i);
      w.ports.clock.advance(60_000);
    }

    const once = await resendDeliveries(w.resendDeps, w.admin, { filter: { STATUS: 'failed' } }, w.ports.clock.current);
    const queued = w.ports.deliveries.drain().map((q) => q.message);
    const twice = await resendDeliveries(w.resendDeps, w.admin, { ids: queued.map((m) => m.deliveryId!) }, w.ports.clock.current);

    expect(once).toEqual({ count: 3 });
    expect(queued.map((m) => [m.deliveryId, m.data, m.attempt]).sort()).toEqual(
      [1, 2, 3].map((i) => [`msg_00000000-0000-4000-8000-00000000000${i}`, { FIELDS: { ID: i } }, 1]).sort(),
    );
    expect(twice).toEqual({ count: 3 });
    expect(w.ports.deliveries.messages.map((m) => m.deliveryId).sort()).toEqual(queued.map((m) => m.deliveryId).sort());
  });

  it('refuses unknown, malformed, foreign and expired ids without queueing anything', async () => {
    const w = await world({}, {});
    const b = await w.binding();
    await w.send(b, 1);
    const other = (await installApp(w.ports)).caller;
    const own = 'msg_00000000-0000-4000-8000-000000000001';

    await expect(resendDeliveries(w.resendDeps, w.admin, { ids: [own, 'msg_00000000-0000-4000-8000-000000000777'] }, w.ports.clock.current)).rejects.toMatchObject({ code: 'ERROR_ARGUMENT', argument: 'ID' });
    await expect(resendDeliveries(w.resendDeps, w.admin, { ids: ['../../x'] }, w.ports.clock.current)).rejects.toMatchObject({ code: 'ERROR_ARGUMENT', argument: 'ID' });
    await expect(resendDeliveries(w.resendDeps, other, { ids: [own] }, w.ports.clock.current)).rejects.toMatchObject({ code: 'ERROR_ARGUMENT', argument: 'ID' });
    await expect(resendDeliveries(w.resendDeps, other, { filter: {} }, w.ports.clock.current)).rejects.toMatchObject({ code: 'ERROR_ARGUMENT' });
    expect(await resendDeliveries(w.resendDeps, other, { filter: { STATUS: 'delivered' } }, w.ports.clock.current)).toEqual({ count: 0 });
    await expect(resendDeliveries(w.resendDeps, w.admin, { ids: [own] }, w.ports.clock.current + RETENTION_MS + 1)).rejects.toMatchObject({ description: expect.stringContaining('expired') });
    expect(w.ports.deliveries.queued).toEqual([]);
  });
});
