import fc from 'fast-check';
import { idTime } from '../../../lambdas/domain/ids';
import { messageIdOf } from '../../../lambdas/domain/journal';
import type { Caller, QueueKey } from '../../../lambdas/domain/model';
import type { JournalWrite } from '../../../lambdas/domain/ports';
import { clearOffline, errorOffline, getOffline, listOffline } from '../../../lambdas/usecases/offline';
import { installApp } from '../../support/memory/apps';
import { memoryPorts, type MemoryPorts } from '../../support/memory';

/** event.offline.get / clear / error / list (SPEC §5) on the in-memory journal. */

const write = (n: number, extra: Record<string, unknown> = {}): JournalWrite => ({
  eventName: 'ONCRMDEALUPDATE',
  eventData: { FIELDS: { ID: n }, ...extra },
  eventAdditional: { user_id: '1' },
  messageId: messageIdOf('ONCRMDEALUPDATE', { FIELDS: { ID: n } }),
});

async function setUp(options: { records?: number; admin?: boolean; claimLifetimeMs?: number } = {}): Promise<{ ports: MemoryPorts; caller: Caller; queue: QueueKey }> {
  const ports = memoryPorts(options.claimLifetimeMs !== undefined ? { claimLifetimeMs: options.claimLifetimeMs } : {});
  const { caller } = await installApp(ports, { admin: options.admin ?? true });
  const queue = { memberId: caller.memberId, clientId: caller.clientId, connector: '' };
  // One write per record, 1 s apart: TIMESTAMP_X order is write order.
  for (let i = 0; i < (options.records ?? 0); i++) await ports.journal.write(queue, [write(i)], ports.clock.advance(1000));
  return { ports, caller, queue };
}

const get = (ports: MemoryPorts, caller: Caller, request: Partial<Parameters<typeof getOffline>[2]> = {}) =>
  getOffline(ports.journal, caller, { limit: 50, clear: true, connector: '', error: false, ...request }, ports.clock.current);
const dealIds = (events: Record<string, unknown>[]) => events.map((e) => (e.EVENT_DATA as { FIELDS: { ID: number } }).FIELDS.ID);

describe('event.offline.get', () => {
  it('claims the first records in TIMESTAMP_X order, deletes them with clear=1, and says what is left', async () => {
    // Arrange
    const { ports, caller, queue } = await setUp({ records: 5 });
    const oldestLeft = (await ports.journal.readAll(queue, ports.clock.current)).sort((a, b) => a.id - b.id)[3]!;

    // Act
    const { result, queue: figures } = await get(ports, caller, { limit: 3 });

    // Assert
    expect(result.process_id).toBeNull();
    expect(dealIds(result.events)).toEqual([0, 1, 2]);
    expect(Object.keys(result.events[0]!)).toEqual(['ID', 'TIMESTAMP_X', 'EVENT_NAME', 'EVENT_DATA', 'EVENT_ADDITIONAL', 'MESSAGE_ID']);
    expect(figures).toEqual({ pending: 2, pending_exact: true, oldest_age: Math.floor((ports.clock.current - idTime(oldestLeft.id)) / 1000) });
    expect(await ports.journal.readAll(queue, ports.clock.current)).toHaveLength(2);
  });

  it('applies filter and order to the claim', async () => {
    const { ports, caller, queue } = await setUp({ records: 10 });
    const all = (await ports.journal.readAll(queue, ports.clock.current)).sort((a, b) => a.id - b.id);

    const { result } = await get(ports, caller, { filter: { '>ID': String(all[2]!.id) }, order: { ID: 'DESC' }, limit: 3 });

    expect(result.events.map((e) => Number(e.ID))).toEqual(all.slice(-3).map((r) => r.id).reverse());
  });

  it('refuses a limit outside 1…1000 and a caller who is not an administrator', async () => {
    const { ports, caller } = await setUp();
    await expect(get(ports, caller, { limit: 0 })).rejects.toMatchObject({ code: 'ERROR_ARGUMENT', argument: 'LIMIT' });
    await expect(get(ports, caller, { limit: 1001 })).rejects.toMatchObject({ code: 'ERROR_ARGUMENT', argument: 'LIMIT' });
    const user = await setUp({ admin: false });
    await expect(get(user.ports, user.caller)).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
  });

  it('clear=0 keeps the batch under its process: hidden from the next get, re-read by process_id, then cleared', async () => {
    const { ports, caller, queue } = await setUp({ records: 5 });

    const first = (await get(ports, caller, { limit: 3, clear: false })).result;
    const second = (await get(ports, caller, { clear: false })).result;
    const again = (await get(ports, caller, { processId: first.process_id!, clear: false })).result;
    const cleared = (await get(ports, caller, { processId: first.process_id!, clear: true })).result;

    expect(first.process_id).toMatch(/^[0-9a-f]{32}$/);
    expect(dealIds(first.events)).toEqual([0, 1, 2]);
    expect(dealIds(second.events)).toEqual([3, 4]);
    expect(again).toEqual(first);
    expect(cleared).toEqual({ process_id: null, events: first.events });
    expect(await ports.journal.readProcess(queue, first.process_id!, ports.clock.current)).toEqual([]);
    expect(await ports.journal.readProcess(queue, second.process_id!, ports.clock.current)).toHaveLength(2);
  });

  it('a batch held with clear=0 and never cleared is gone once its claim expires', async () => {
    const { ports, caller } = await setUp({ records: 2, claimLifetimeMs: 60_000 });
    const { result } = await get(ports, caller, { clear: false });

    ports.clock.advance(60_000);

    expect((await get(ports, caller, { processId: result.process_id!, clear: false })).result.events).toEqual([]);
    expect((await get(ports, caller)).result.events).toEqual([]);
  });

  it.each([true, false])('parallel calls (clear=%s) never get the same record and lose none, even when they collide', async (clear) => {
    // Arrange: 8 consumers draining 300 records in batches of 20; count the claims lost to a parallel caller.
    const { ports, caller, queue } = await setUp();
    await ports.journal.write(queue, Array.from({ length: 300 }, (_, i) => write(i)), ports.clock.current);
    const claim = ports.journal.claim.bind(ports.journal);
    let lost = 0;
    jest.spyOn(ports.journal, 'claim').mockImplementation(async (...args) => {
      const outcome = await claim(...args);
      lost += outcome.attempted - outcome.claimed.length;
      return outcome;
    });

    // Act
    const seen: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (;;) {
          const { result } = await get(ports, caller, { limit: 20, clear });
          if (result.events.length === 0) return;
          seen.push(...dealIds(result.events));
          if (!clear) await clearOffline(ports.journal, caller, { processId: result.process_id!, connector: '' }, ports.clock.current);
        }
      }),
    );

    // Assert
    expect(lost).toBeGreaterThan(0);
    expect(seen).toHaveLength(300);
    expect(new Set(seen).size).toBe(300);
    expect(await ports.journal.readAll(queue, ports.clock.current)).toEqual([]);
  });

  it('property: whatever the consumers, limits and mode, every record is handed out exactly once', async () => {
    const scenario = fc.record({ records: fc.integer({ min: 0, max: 120 }), consumers: fc.integer({ min: 1, max: 6 }), limit: fc.integer({ min: 1, max: 30 }), clear: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(scenario, async ({ records, consumers, limit, clear }) => {
        const { ports, caller, queue } = await setUp();
        if (records > 0) await ports.journal.write(queue, Array.from({ length: records }, (_, i) => write(i)), ports.clock.current);
        const seen: number[] = [];
        await Promise.all(
          Array.from({ length: consumers }, async () => {
            for (;;) {
              const { result } = await get(ports, caller, { limit, clear });
              if (result.events.length === 0) return;
              expect(result.events.length).toBeLessThanOrEqual(limit);
              seen.push(...dealIds(result.events));
              if (!clear) await clearOffline(ports.journal, caller, { processId: result.process_id!, connector: '' }, ports.clock.current);
            }
          }),
        );
        expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: records }, (_, i) => i));
      }),
      { numRuns: 30 },
    );
  });
});

describe('event.offline.clear', () => {
  async function held(records: number) {
    const s = await setUp({ records });
    const { result } = await get(s.ports, s.caller, { clear: false });
    return { ...s, processId: result.process_id!, events: result.events };
  }
  const left = (s: Awaited<ReturnType<typeof held>>) => s.ports.journal.readProcess(s.queue, s.processId, s.ports.clock.current);

  it('deletes all the records of the process', async () => {
    const s = await held(3);
    await expect(clearOffline(s.ports.journal, s.caller, { processId: s.processId, connector: '' }, s.ports.clock.current)).resolves.toBe(true);
    expect(await left(s)).toEqual([]);
  });

  it('deletes the listed IDs only, and ignores MESSAGE_IDs when IDs are given', async () => {
    const s = await held(3);
    const [a, b, c] = s.events;
    await clearOffline(s.ports.journal, s.caller, { processId: s.processId, ids: [Number(a!.ID)], messageIds: [b!.MESSAGE_ID as string], connector: '' }, s.ports.clock.current);
    expect((await left(s)).map((r) => r.id)).toEqual([Number(b!.ID), Number(c!.ID)]);
  });

  it('deletes the listed MESSAGE_IDs; identifiers that match nothing delete nothing and still answer true', async () => {
    const s = await held(3);
    const [a, b, c] = s.events;
    await clearOffline(s.ports.journal, s.caller, { processId: s.processId, messageIds: [a!.MESSAGE_ID as string], connector: '' }, s.ports.clock.current);
    await expect(clearOffline(s.ports.journal, s.caller, { processId: s.processId, ids: [1], connector: '' }, s.ports.clock.current)).resolves.toBe(true);
    await expect(clearOffline(s.ports.journal, s.caller, { processId: 'f'.repeat(32), connector: '' }, s.ports.clock.current)).resolves.toBe(true);
    expect((await left(s)).map((r) => r.id)).toEqual([Number(b!.ID), Number(c!.ID)]);
  });

  it('needs a process_id', async () => {
    const s = await held(1);
    await expect(clearOffline(s.ports.journal, s.caller, { processId: '', connector: '' }, s.ports.clock.current)).rejects.toMatchObject({ code: 'ERROR_ARGUMENT', argument: 'PROCESS_ID' });
  });
});

describe('event.offline.error', () => {
  it('returns the listed record to the queue as an error record, only for error=1, and removes its other copies', async () => {
    // Arrange: objects 0 and 1 claimed; a newer pending copy of object 0 arrives meanwhile.
    const { ports, caller, queue } = await setUp({ records: 2 });
    const batch = (await get(ports, caller, { clear: false })).result;
    const failed = batch.events[0]!;
    await ports.journal.write(queue, [write(0, { later: true })], ports.clock.advance(1000));

    // Act
    await expect(errorOffline(ports.journal, caller, { processId: batch.process_id!, messageIds: [failed.MESSAGE_ID as string, 'f'.repeat(32)], connector: '' }, ports.clock.advance(1000))).resolves.toBe(true);

    // Assert
    const records = await ports.journal.readAll(queue, ports.clock.current);
    expect(records.filter((r) => r.messageId === failed.MESSAGE_ID)).toEqual([expect.objectContaining({ id: Number(failed.ID), error: true, processId: '', eventData: { FIELDS: { ID: 0 } } })]);
    expect((await get(ports, caller)).result.events).toEqual([]);
    const errors = (await get(ports, caller, { error: true })).result;
    expect(errors.events.map((e) => e.ID)).toEqual([failed.ID]);
    // The other record of the batch is still held by the process.
    expect(dealIds((await get(ports, caller, { processId: batch.process_id!, clear: false })).result.events)).toEqual([1]);
  });

  it('needs a process_id and at least one message_id', async () => {
    const { ports, caller } = await setUp();
    await expect(errorOffline(ports.journal, caller, { processId: '', messageIds: ['a'.repeat(32)], connector: '' }, ports.clock.current)).rejects.toMatchObject({ argument: 'PROCESS_ID' });
    await expect(errorOffline(ports.journal, caller, { processId: 'a'.repeat(32), messageIds: [], connector: '' }, ports.clock.current)).rejects.toMatchObject({ argument: 'MESSAGE_ID' });
  });
});

describe('event.offline.list', () => {
  it('reads without claiming, in pages of 50 with total and next; start=-1 does not count', async () => {
    const { ports, caller, queue } = await setUp();
    await ports.journal.write(queue, Array.from({ length: 60 }, (_, i) => write(i)), ports.clock.current);
    await get(ports, caller, { limit: 5, clear: false });

    const first = await listOffline(ports.journal, caller, { start: 0, connector: '' }, ports.clock.current);
    const second = await listOffline(ports.journal, caller, { start: 50, connector: '' }, ports.clock.current);
    const uncounted = await listOffline(ports.journal, caller, { start: -1, connector: '' }, ports.clock.current);
    const held = await listOffline(ports.journal, caller, { start: 0, filter: { '!PROCESS_ID': '' }, connector: '' }, ports.clock.current);

    expect(first).toMatchObject({ total: 60, next: 50 });
    expect(first.rows).toHaveLength(50);
    expect(second.rows).toHaveLength(10);
    expect(second).not.toHaveProperty('next');
    expect(uncounted).toEqual({ rows: first.rows });
    expect(held.total).toBe(5);
    expect(held.rows.every((r) => r.ERROR === '0' && typeof r.PROCESS_ID === 'string' && r.PROCESS_ID !== '')).toBe(true);
    expect(await ports.journal.readAll(queue, ports.clock.current)).toHaveLength(60);
  });
});
