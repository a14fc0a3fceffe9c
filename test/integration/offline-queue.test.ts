import { idTime } from '../../lambdas/domain/ids';
import { messageIdOf } from '../../lambdas/domain/journal';
import type { Caller, QueueKey } from '../../lambdas/domain/model';
import type { JournalWrite } from '../../lambdas/domain/ports';
import { authenticate } from '../../lambdas/usecases/authenticate';
import { clearOffline, errorOffline, getOffline } from '../../lambdas/usecases/offline';
import { wiring } from '../support/wiring';
import { installUser, pendingRecords } from '../support/fixtures';
import { wireRecord } from '../../lambdas/wire/shapes';

const journal = () => wiring().journal;
const write = (id: number, extra: Record<string, unknown> = {}): JournalWrite => ({
  eventName: 'ONCRMDEALUPDATE',
  eventData: { FIELDS: { ID: id }, ...extra },
  eventAdditional: { user_id: '1' },
  messageId: messageIdOf('ONCRMDEALUPDATE', { FIELDS: { ID: id } }),
});

async function adminQueue(connector = ''): Promise<{ caller: Caller; queue: QueueKey }> {
  const app = await installUser();
  const caller = await authenticate(wiring().registry, { type: 'token', token: app.accessToken }, Math.floor(Date.now() / 1000));
  return { caller, queue: { memberId: caller.memberId, clientId: caller.clientId, connector } };
}

async function fill(queue: QueueKey, count: number): Promise<void> {
  for (let i = 0; i < count; i += 100) {
    await journal().write(queue, Array.from({ length: Math.min(100, count - i) }, (_, j) => write(i + j)), Date.now());
  }
}

/** The result of event.offline.get (its queue figures are tested on their own). */
const offlineGet = async (...args: Parameters<typeof getOffline>) => {
  const got = await getOffline(...args);
  return { process_id: got.processId, events: got.records.map(wireRecord) };
};

const ids = (events: Record<string, unknown>[]) => events.map((e) => Number(e.ID));

describe('offline queue on DynamoDB Local', () => {
  jest.setTimeout(120_000);

  it.each([
    ['clear=1', true],
    ['clear=0 then event.offline.clear', false],
  ])('8 parallel consumers drain 1,000 records with %s: no duplicates, no losses', async (_mode, clear) => {
    const { caller, queue } = await adminQueue();
    await fill(queue, 1000);
    const seen: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (;;) {
          const batch = await offlineGet(journal(), caller, { limit: 50, clear, connector: '', error: false }, Date.now());
          if (batch.events.length === 0) return;
          seen.push(...ids(batch.events));
          if (!clear) await clearOffline(journal(), caller, { processId: batch.process_id!, connector: '' }, Date.now());
        }
      }),
    );
    expect(seen).toHaveLength(1000);
    expect(new Set(seen).size).toBe(1000);
    expect(await journal().readAll(queue, Date.now())).toEqual([]);
  });

  it('keeps a clear=0 batch under its process: re-read by process_id, hidden from the next get', async () => {
    const { caller, queue } = await adminQueue();
    await fill(queue, 5);
    const first = await offlineGet(journal(), caller, { limit: 3, clear: false, connector: '', error: false }, Date.now());
    expect(first.process_id).toMatch(/^[0-9a-f]{32}$/);
    expect(first.events).toHaveLength(3);
    const second = await offlineGet(journal(), caller, { limit: 50, clear: false, connector: '', error: false }, Date.now());
    expect(second.events).toHaveLength(2);

    // The consumer crashed: it asks again with its process_id and gets the same batch.
    const again = await offlineGet(journal(), caller, { limit: 50, clear: false, processId: first.process_id!, connector: '', error: false }, Date.now());
    expect(ids(again.events)).toEqual(ids(first.events));
    expect(again.process_id).toBe(first.process_id);

    // Clearing two by id leaves one with the process.
    await clearOffline(journal(), caller, { processId: first.process_id!, ids: ids(first.events).slice(0, 2), connector: '' }, Date.now());
    const left = await offlineGet(journal(), caller, { limit: 50, clear: true, processId: first.process_id!, connector: '', error: false }, Date.now());
    expect(ids(left.events)).toEqual(ids(first.events).slice(2));
    expect(left.process_id).toBeNull();
    expect(await journal().readProcess(queue, first.process_id!, Date.now())).toEqual([]);
  });

  it('never changes a claimed record: a later write of the object makes a new pending record', async () => {
    const { caller, queue } = await adminQueue();
    await journal().write(queue, [write(1, { v: 1 })], Date.now());
    const claimed = await offlineGet(journal(), caller, { limit: 50, clear: false, connector: '', error: false }, Date.now());
    expect(await journal().write(queue, [write(1, { v: 2 })], Date.now())).toEqual({ created: 1, merged: 0 });
    const held = await journal().readProcess(queue, claimed.process_id!, Date.now());
    expect(held.map((r) => r.eventData)).toEqual([{ FIELDS: { ID: 1 }, v: 1 }]);
    const pending = await pendingRecords(journal(), queue);
    expect(pending.map((r) => r.eventData)).toEqual([{ FIELDS: { ID: 1 }, v: 2 }]);
    expect(pending[0]!.id).not.toBe(held[0]!.id);
  });

  it('claims the newest version when a merge lands between the read and the claim', async () => {
    const { queue } = await adminQueue();
    await journal().write(queue, [write(9, { v: 1 })], 1000);
    const [candidate] = await pendingRecords(journal(), queue);
    await journal().write(queue, [write(9, { v: 2 })], 2000);
    const { claimed } = await journal().claim(queue, [candidate!], { clear: false, processId: 'p'.repeat(32), now: Date.now() });
    expect(claimed.map((r) => r.eventData)).toEqual([{ FIELDS: { ID: 9 }, v: 2 }]);
    expect(await pendingRecords(journal(), queue)).toEqual([]);
    expect(await journal().readProcess(queue, 'p'.repeat(32), Date.now())).toHaveLength(1);
  });

  it('stops returning claims once they expire', async () => {
    const { queue } = await adminQueue();
    await fill(queue, 2);
    const candidates = await pendingRecords(journal(), queue);
    const now = Date.now();
    await journal().claim(queue, candidates, { clear: false, processId: 'e'.repeat(32), now });
    const lifetime = wiring().config.CLAIM_LIFETIME_SECONDS * 1000;
    expect(await journal().readProcess(queue, 'e'.repeat(32), now + lifetime - 1)).toHaveLength(2);
    expect(await journal().readProcess(queue, 'e'.repeat(32), now + lifetime + 1)).toEqual([]);
    expect(await journal().readAll(queue, now + lifetime + 1)).toEqual([]);
  });

  it('applies filter, order and limit to the claim', async () => {
    const { caller, queue } = await adminQueue();
    await fill(queue, 10);
    const all = (await journal().readAll(queue, Date.now())).sort((a, b) => a.id - b.id);
    const got = await offlineGet(journal(), caller, { filter: { '>ID': String(all[2]!.id) }, order: { ID: 'DESC' }, limit: 3, clear: true, connector: '', error: false }, Date.now());
    expect(ids(got.events)).toEqual(all.slice(-3).map((r) => r.id).reverse());
  });

  it('turns a record into a pending error record and removes the other copies of its object', async () => {
    const { caller, queue } = await adminQueue();
    await journal().write(queue, [write(1), write(2)], Date.now());
    const batch = await offlineGet(journal(), caller, { limit: 50, clear: false, connector: '', error: false }, Date.now());
    const failed = batch.events.find((e) => (e.EVENT_DATA as { FIELDS: { ID: number } }).FIELDS.ID === 1)!;
    await journal().write(queue, [write(1, { later: true })], Date.now()); // a newer pending copy of object 1

    await errorOffline(journal(), caller, { processId: batch.process_id!, messageIds: [failed.MESSAGE_ID as string], connector: '' }, Date.now());

    const records = await journal().readAll(queue, Date.now());
    const errorRecords = records.filter((r) => r.error);
    expect(errorRecords).toHaveLength(1);
    expect(errorRecords[0]).toMatchObject({ id: Number(failed.ID), processId: '', messageId: failed.MESSAGE_ID });
    expect(records.filter((r) => r.messageId === failed.MESSAGE_ID)).toHaveLength(1);
    // A normal get does not return it; error=1 does.
    expect((await offlineGet(journal(), caller, { limit: 50, clear: true, connector: '', error: false }, Date.now())).events).toEqual([]);
    const errors = await offlineGet(journal(), caller, { limit: 50, clear: true, connector: '', error: true }, Date.now());
    expect(ids(errors.events)).toEqual([Number(failed.ID)]);
  });

  it('tells next to the batch how many records wait and how old the oldest is, counting up to 1,000', async () => {
    const { caller, queue } = await adminQueue();
    const empty = await getOffline(journal(), caller, { limit: 50, clear: true, connector: '', error: false }, Date.now());
    expect(empty.queue).toEqual({ pending: 0, pendingExact: true, oldestAge: null, removedExpired: 0, removedOverflow: 0 });

    await fill(queue, 1060);
    const later = Date.now() + 90_000;
    const first = await getOffline(journal(), caller, { limit: 50, clear: true, connector: '', error: false }, later);
    expect(first.queue).toEqual({ pending: 1000, pendingExact: false, oldestAge: expect.any(Number), removedExpired: 0, removedOverflow: 0 });
    expect(first.queue.oldestAge).toBeGreaterThanOrEqual(89);
    const second = await getOffline(journal(), caller, { limit: 20, clear: true, connector: '', error: false }, Date.now());
    expect(second.queue).toMatchObject({ pending: 990, pendingExact: true });
  });

  it('keeps TIMESTAMP_X at or after the ID’s time when a writer’s clock is behind, so the claim order holds', async () => {
    const { caller, queue } = await adminQueue();
    await journal().write(queue, [write(1, { v: 1 })], Date.now());
    await journal().write(queue, [write(2)], Date.now() + 2000);
    // A writer whose clock is a minute behind merges into object 1.
    expect(await journal().write(queue, [write(1, { v: 2 })], Date.now() - 60_000)).toEqual({ created: 0, merged: 1 });
    const [record] = (await pendingRecords(journal(), queue)).filter((r) => (r.eventData as { v?: number }).v === 2);
    expect(record!.timestamp).toBeGreaterThanOrEqual(idTime(record!.id));
    const batch = await offlineGet(journal(), caller, { limit: 1, clear: true, connector: '', error: false }, Date.now());
    expect(batch.events.map((e) => e.EVENT_DATA)).toEqual([{ FIELDS: { ID: 1 }, v: 2 }]);
  });

  it('reads the head of a long queue, not all of it, for a batch in the default order', async () => {
    const { caller, queue } = await adminQueue();
    await fill(queue, 600);
    let candidatesRead = 0;
    const db = wiring().db;
    const count = (next: (args: { input: { Select?: string } }) => Promise<{ output: { Items?: unknown[] } }>) => async (args: { input: { Select?: string } }) => {
      const result = await next(args);
      if (args.input.Select === 'ALL_ATTRIBUTES') candidatesRead += result.output.Items?.length ?? 0;
      return result;
    };
    db.middlewareStack.add(count as never, { step: 'initialize', name: 'count-candidates' });
    try {
      const batch = await offlineGet(journal(), caller, { limit: 50, clear: true, connector: '', error: false }, Date.now());
      expect(batch.events).toHaveLength(50);
    } finally {
      db.middlewareStack.remove('count-candidates');
    }
    // The batch and one record past it (to see that the walk may stop), not the 600.
    expect(candidatesRead).toBe(51);
  });

  it('refuses a limit out of bounds and non-administrators', async () => {
    const { caller } = await adminQueue();
    for (const limit of [0, -5, 1001]) {
      await expect(offlineGet(journal(), caller, { limit, clear: true, connector: '', error: false }, Date.now())).rejects.toMatchObject({ code: 'ERROR_ARGUMENT', argument: 'LIMIT' });
    }
    await expect(offlineGet(journal(), { ...caller, admin: false }, { limit: 1, clear: true, connector: '', error: false }, Date.now())).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
  });
});
