import { randomBytes } from 'node:crypto';
import { idTime } from '../../lambdas/domain/ids';
import { messageIdOf } from '../../lambdas/domain/journal';
import type { JournalRecord, QueueKey } from '../../lambdas/domain/model';
import type { PendingWalk } from '../../lambdas/domain/pending-selection';
import type { JournalStore, JournalWrite } from '../../lambdas/domain/ports';

/**
 * What every JournalStore does (the port's contract, as the use cases rely on it). Run against
 * the DynamoDB adapter (test/integration/contracts.test.ts) and the in-memory fake
 * (test/unit/memory/contracts.test.ts), so the fake cannot drift from the adapter.
 * `make(lifetimeMs)` builds a store whose clear=0 claims last `lifetimeMs`.
 */
export function journalStoreContract(name: string, make: (claimLifetimeMs: number) => JournalStore): void {
  const LIFETIME = 60_000;
  const queue = (connector = ''): QueueKey => ({ memberId: randomBytes(16).toString('hex'), clientId: `local.${randomBytes(6).toString('hex')}`, connector });
  const write = (n: number, extra: Record<string, unknown> = {}, eventName = 'ONCRMDEALUPDATE'): JournalWrite => ({
    eventName,
    eventData: { FIELDS: { ID: n }, ...extra },
    eventAdditional: { user_id: '1' },
    messageId: messageIdOf(eventName, { FIELDS: { ID: n } }),
  });
  const fill = async (store: JournalStore, q: QueueKey, count: number, now: number) => store.write(q, Array.from({ length: count }, (_, i) => write(i)), now);
  const all = async (pages: AsyncIterable<JournalRecord[]>) => {
    const out: JournalRecord[][] = [];
    for await (const page of pages) out.push(page);
    return out;
  };
  const byId = (records: readonly JournalRecord[]) => [...records].sort((a, b) => a.id - b.id);

  describe(`JournalStore contract: ${name}`, () => {
    it('creates one pending record per MESSAGE_ID and merges later writes into it, keeping its ID', async () => {
      const store = make(LIFETIME);
      const q = queue();
      const now = Date.now();
      expect(await store.write(q, [write(1), write(2)], now)).toEqual({ created: 2, merged: 0 });
      const [first] = byId(await store.readAll(q, now));
      expect(await store.write(q, [write(1, { TITLE: 'new' })], now + 5000)).toEqual({ created: 0, merged: 1 });

      const records = byId(await store.readAll(q, now + 5000));
      expect(records).toHaveLength(2);
      const merged = records.find((r) => r.messageId === first!.messageId)!;
      expect(merged).toMatchObject({ id: first!.id, timestamp: now + 5000, eventData: { FIELDS: { ID: 1 }, TITLE: 'new' }, eventAdditional: { user_id: '1' }, processId: '', error: false });
      expect(merged.version).toBeGreaterThan(first!.version ?? 0);
      expect(records.every((r) => r.timestamp >= idTime(r.id))).toBe(true);
    });

    it('never writes TIMESTAMP_X before the time of the record’s ID', async () => {
      const store = make(LIFETIME);
      const q = queue();
      await store.write(q, [write(1)], 0);
      const [record] = await store.readAll(q, Date.now());
      expect(record!.timestamp).toBe(idTime(record!.id));
    });

    it('keeps event data as the JSON it was: nulls, empty keys, deep nesting, big numbers', async () => {
      const store = make(LIFETIME);
      const q = queue();
      const data = { '': 'empty key', deep: { a: [1, { b: [null, true] }] }, big: 1e300, text: 'ü €' };
      await store.write(q, [{ eventName: 'ONCRMDEALADD', eventData: data, eventAdditional: {}, messageId: 'a'.repeat(32) }, { eventName: 'ONCRMDEALADD', eventData: undefined, eventAdditional: {}, messageId: 'b'.repeat(32) }], Date.now());
      const records = await store.readAll(q, Date.now());
      expect(records.find((r) => r.messageId === 'a'.repeat(32))!.eventData).toEqual(data);
      expect(records.find((r) => r.messageId === 'b'.repeat(32))!.eventData).toBeNull();
    });

    it('keeps queues apart by portal, application and connector', async () => {
      const store = make(LIFETIME);
      const a = queue('');
      const b: QueueKey = { ...a, connector: 'sync' };
      const c: QueueKey = { ...a, clientId: `${a.clientId}x` };
      await store.write(a, [write(1)], Date.now());
      await store.write(b, [write(1), write(2)], Date.now());
      expect(await store.readAll(a, Date.now())).toHaveLength(1);
      expect(await store.readAll(b, Date.now())).toHaveLength(2);
      expect(await store.readAll(c, Date.now())).toEqual([]);
    });

    it('walks pending records by ID (either way, within ID bounds) and by MESSAGE_ID, page by page', async () => {
      const store = make(LIFETIME);
      const q = queue();
      await fill(store, q, 7, Date.now());
      const records = byId(await store.readAll(q, Date.now()));
      const ids = records.map((r) => r.id);
      const walk = async (w: PendingWalk) => (await all(store.pendingPages(q, false, w, () => 2))).flat().map((r) => r.id);

      expect(await walk({ by: 'id', descending: false })).toEqual(ids);
      expect(await walk({ by: 'id', descending: true })).toEqual([...ids].reverse());
      expect(await walk({ by: 'id', descending: false, fromId: ids[2]!, toId: ids[4]! })).toEqual(ids.slice(2, 5));
      const byMessageId = [...records].sort((x, y) => (x.messageId < y.messageId ? -1 : 1)).map((r) => r.id);
      expect(await walk({ by: 'messageId', descending: false })).toEqual(byMessageId);
      expect(await walk({ by: 'messageId', descending: true })).toEqual([...byMessageId].reverse());
      const pages = await all(store.pendingPages(q, false, { by: 'id', descending: false }, () => 3));
      expect(pages.slice(0, 3).map((p) => p.length)).toEqual([3, 3, 1]);
      expect(await walk({ by: 'id', descending: false })).toEqual(ids);
      expect((await all(store.pendingPages(q, true, { by: 'id', descending: false }, () => 2))).flat()).toEqual([]);
    });

    it('gives the keys of the first pending records by ID, and counts them up to a cap', async () => {
      const store = make(LIFETIME);
      const q = queue();
      expect(await store.pendingFigures(q, false, 5)).toEqual({ pending: 0, exact: true });
      await fill(store, q, 7, Date.now());
      const records = byId(await store.readAll(q, Date.now()));
      expect(await store.pendingKeys(q, false, { by: 'id', descending: false }, 3)).toEqual(records.slice(0, 3).map((r) => ({ id: r.id, messageId: r.messageId, error: false })));
      expect(await store.pendingKeys(q, false, { by: 'id', descending: true }, 2)).toEqual([...records].reverse().slice(0, 2).map((r) => ({ id: r.id, messageId: r.messageId, error: false })));
      expect(await store.pendingFigures(q, false, 5)).toEqual({ pending: 5, exact: false, oldestId: records[0]!.id });
      expect(await store.pendingFigures(q, false, 7)).toEqual({ pending: 7, exact: true, oldestId: records[0]!.id });
      expect(await store.pendingFigures(q, true, 7)).toEqual({ pending: 0, exact: true });
    });

    it('clear=1 claims delete: the records come back as they were, and nobody gets them twice', async () => {
      const store = make(LIFETIME);
      const q = queue();
      await fill(store, q, 3, Date.now());
      const pending = byId(await store.readAll(q, Date.now()));
      const first = await store.claim(q, pending, { clear: true, processId: 'a'.repeat(32), now: Date.now() });
      expect(byId(first.claimed).map((r) => r.id)).toEqual(pending.map((r) => r.id));
      expect(first.claimed.every((r) => r.processId === '')).toBe(true);
      expect(first.attempted).toBe(3);
      const second = await store.claim(q, pending, { clear: true, processId: 'b'.repeat(32), now: Date.now() });
      expect(second.claimed).toEqual([]);
      expect(await store.readAll(q, Date.now())).toEqual([]);
    });

    it.each([true, false])('parallel claims of the same records (clear=%s) hand each record out exactly once', async (clear) => {
      const store = make(LIFETIME);
      const q = queue();
      await fill(store, q, 20, Date.now());
      const candidates = await store.pendingKeys(q, false, { by: 'id', descending: false }, 20);
      const outcomes = await Promise.all(Array.from({ length: 5 }, (_, i) => store.claim(q, candidates, { clear, processId: String(i).repeat(32), now: Date.now() })));
      const won = outcomes.flatMap((o) => o.claimed.map((r) => r.id));
      expect(won.sort((a, b) => a - b)).toEqual(candidates.map((c) => c.id).sort((a, b) => a - b));
      const held = (await Promise.all(Array.from({ length: 5 }, (_, i) => store.readProcess(q, String(i).repeat(32), Date.now())))).flat();
      expect(held).toHaveLength(clear ? 0 : 20);
    });

    it('clear=0 moves the newest version under the process; a later write makes a new pending record', async () => {
      const store = make(LIFETIME);
      const q = queue();
      const now = Date.now();
      await store.write(q, [write(9, { v: 1 })], now);
      const [stale] = await store.readAll(q, now);
      await store.write(q, [write(9, { v: 2 })], now + 1);

      const { claimed } = await store.claim(q, [stale!], { clear: false, processId: 'p'.repeat(32), now });
      expect(claimed).toEqual([expect.objectContaining({ id: stale!.id, processId: 'p'.repeat(32), eventData: { FIELDS: { ID: 9 }, v: 2 } })]);
      expect(await store.write(q, [write(9, { v: 3 })], now + 2)).toEqual({ created: 1, merged: 0 });

      const held = await store.readProcess(q, 'p'.repeat(32), now);
      expect(held.map((r) => [r.id, r.eventData, r.processId, r.error])).toEqual([[stale!.id, { FIELDS: { ID: 9 }, v: 2 }, 'p'.repeat(32), false]]);
      const [pending] = (await store.readAll(q, now)).filter((r) => r.processId === '');
      expect(pending).toMatchObject({ eventData: { FIELDS: { ID: 9 }, v: 3 } });
      expect(pending!.id).not.toBe(stale!.id);
    });

    it('a claim by keys alone gets the whole record; a candidate whose ID is gone is lost', async () => {
      const store = make(LIFETIME);
      const q = queue();
      await fill(store, q, 2, Date.now());
      const [key, other] = await store.pendingKeys(q, false, { by: 'id', descending: false }, 2);
      const { claimed } = await store.claim(q, [key!], { clear: false, processId: 'k'.repeat(32), now: Date.now() });
      expect(claimed[0]).toMatchObject({ id: key!.id, eventName: 'ONCRMDEALUPDATE', eventData: { FIELDS: { ID: 0 } }, eventAdditional: { user_id: '1' } });
      const lost = await store.claim(q, [{ ...other!, id: other!.id + 1 }], { clear: true, processId: 'k'.repeat(32), now: Date.now() });
      expect(lost.claimed).toEqual([]);
      expect(await store.readAll(q, Date.now())).toHaveLength(2);
    });

    it('drops claims from every read once they expire', async () => {
      const store = make(LIFETIME);
      const q = queue();
      await fill(store, q, 2, Date.now());
      const now = Date.now();
      await store.claim(q, await store.readAll(q, now), { clear: false, processId: 'e'.repeat(32), now });
      expect(await store.readProcess(q, 'e'.repeat(32), now + LIFETIME - 1)).toHaveLength(2);
      expect(await store.readAll(q, now + LIFETIME - 1)).toHaveLength(2);
      expect(await store.readProcess(q, 'e'.repeat(32), now + LIFETIME)).toEqual([]);
      expect(await store.readAll(q, now + LIFETIME)).toEqual([]);
    });

    it('deletes the records a process holds, all or some', async () => {
      const store = make(LIFETIME);
      const q = queue();
      await fill(store, q, 3, Date.now());
      const now = Date.now();
      await store.claim(q, await store.readAll(q, now), { clear: false, processId: 'd'.repeat(32), now });
      const held = byId(await store.readProcess(q, 'd'.repeat(32), now));
      await store.deleteClaimed(q, held.slice(0, 2));
      expect((await store.readProcess(q, 'd'.repeat(32), now)).map((r) => r.id)).toEqual([held[2]!.id]);
    });

    it('markError turns a held record into a pending error record and removes the other non-error copies of its object', async () => {
      const store = make(LIFETIME);
      const q = queue();
      const now = Date.now();
      await store.write(q, [write(1), write(2)], now);
      const [one] = (await store.readAll(q, now)).filter((r) => (r.eventData as { FIELDS: { ID: number } }).FIELDS.ID === 1);
      await store.claim(q, [one!], { clear: false, processId: 'a'.repeat(32), now });
      await store.write(q, [write(1, { later: true })], now + 1); // a newer pending copy
      const [again] = (await store.readAll(q, now)).filter((r) => r.processId === '' && r.messageId === one!.messageId);
      await store.claim(q, [again!], { clear: false, processId: 'b'.repeat(32), now }); // and a copy held by another process
      await store.write(q, [write(1, { latest: true })], now + 2); // and one more pending copy

      const [held] = await store.readProcess(q, 'a'.repeat(32), now);
      await store.markError(q, [held!], now + 10);

      const records = await store.readAll(q, now + 10);
      const copies = records.filter((r) => r.messageId === one!.messageId);
      expect(copies).toEqual([expect.objectContaining({ id: one!.id, processId: '', error: true, eventData: { FIELDS: { ID: 1 } }, timestamp: Math.max(now + 10, idTime(one!.id)) })]);
      expect(records.filter((r) => r.messageId !== one!.messageId)).toHaveLength(1);
      expect(await store.readProcess(q, 'a'.repeat(32), now)).toEqual([]);
      expect(await store.readProcess(q, 'b'.repeat(32), now)).toEqual([]);
      expect(await store.pendingKeys(q, true, { by: 'id', descending: false }, 10)).toEqual([{ id: one!.id, messageId: one!.messageId, error: true }]);
      expect((await store.pendingFigures(q, false, 10)).pending).toBe(1);
    });

    it('an error record is claimed and cleared like any other, by its kind', async () => {
      const store = make(LIFETIME);
      const q = queue();
      const now = Date.now();
      await store.write(q, [write(1)], now);
      await store.claim(q, await store.readAll(q, now), { clear: false, processId: 'a'.repeat(32), now });
      await store.markError(q, await store.readProcess(q, 'a'.repeat(32), now), now);
      const keys = await store.pendingKeys(q, true, { by: 'id', descending: false }, 10);
      const { claimed } = await store.claim(q, keys, { clear: true, processId: 'c'.repeat(32), now });
      expect(claimed).toEqual([expect.objectContaining({ error: true, processId: '' })]);
      expect(await store.readAll(q, now)).toEqual([]);
    });

    it('grants one live lease per first ID and kind, hands back the holder, and frees it on release or expiry', async () => {
      const store = make(LIFETIME);
      const q = queue();
      const now = Date.now();
      const lease = { fromId: 100, toId: 150, exp: now + 5000 };
      await fill(store, q, 3, now);

      expect(await store.takeLease(q, false, lease, now)).toBeUndefined();
      expect(await store.takeLease(q, false, { fromId: 100, toId: 120, exp: now + 9000 }, now + 1)).toEqual(lease);
      expect(await store.takeLease(q, true, { fromId: 100, toId: 120, exp: now + 9000 }, now)).toBeUndefined(); // the other kind
      expect(await store.takeLease(q, false, { fromId: 151, toId: 160, exp: now + 5000 }, now)).toBeUndefined();
      expect((await store.claimLeases(q, false, now)).sort((a, b) => a.fromId - b.fromId)).toEqual([lease, { fromId: 151, toId: 160, exp: now + 5000 }]);
      // Leases are not records: reads and the count of a deleted queue leave them out.
      expect(await store.readAll(q, now)).toHaveLength(3);
      expect(await store.pendingFigures(q, false, 10)).toMatchObject({ pending: 3, exact: true });

      await store.releaseLease(q, false, { fromId: 151, toId: 160, exp: now + 1 }); // not the one taken: kept
      await store.releaseLease(q, false, lease);
      expect(await store.claimLeases(q, false, now)).toEqual([{ fromId: 151, toId: 160, exp: now + 5000 }]);
      expect(await store.claimLeases(q, false, now + 5000)).toEqual([]);
      expect(await store.takeLease(q, false, { fromId: 151, toId: 170, exp: now + 9000 }, now + 5000)).toBeUndefined(); // expired: taken over
      expect(await store.claimLeases(q, false, now + 5000)).toEqual([{ fromId: 151, toId: 170, exp: now + 9000 }]);
      expect(await store.deleteQueue(q)).toBe(3);
      expect(await store.claimLeases(q, false, now)).toEqual([]);
    });

    it('trims: records not written within the retention, then the oldest beyond the limit, then expired claims; counts what it removed', async () => {
      const store = make(LIFETIME);
      const q = queue();
      const t0 = Date.now();
      await store.write(q, [write(1), write(2), write(3)], t0);
      await store.write(q, [write(2, { merged: true })], t0 + 5000); // written again: inside the retention below
      await store.write(q, [write(4), write(5), write(6), write(7)], t0 + 6000);
      const [claimed] = (await store.claim(q, await store.pendingKeys(q, false, { by: 'id', descending: true }, 1), { clear: false, processId: 'a'.repeat(32), now: t0 + 6000 })).claimed;
      const before = byId(await store.readAll(q, t0 + 6000)).filter((r) => r.processId === '');

      // Retention 8 s at t0 + 10 s: records 1 and 3 (last written at t0) go; of the 4 pending left the limit keeps the newest 3.
      const outcome = await store.trim(q, { retentionMs: 8000, maxRecords: 3 }, t0 + 10_000);

      expect(outcome).toEqual({ expired: 2, overflow: 1, claimsExpired: 0 });
      const left = byId(await store.readAll(q, t0 + 10_000)).filter((r) => r.processId === '');
      expect(left.map((r) => r.messageId)).toEqual(before.filter((r) => ![write(1).messageId, write(3).messageId].includes(r.messageId)).slice(1).map((r) => r.messageId));
      expect(await store.removedFigures(q)).toEqual({ expired: 2, overflow: 1 });
      expect((await store.readProcess(q, 'a'.repeat(32), t0 + 10_000)).map((r) => r.id)).toEqual([claimed!.id]);

      // The claim expires: its copy is removed (not counted as a removed pending record).
      expect(await store.trim(q, { retentionMs: 3600_000, maxRecords: 3 }, t0 + 6000 + LIFETIME)).toEqual({ expired: 0, overflow: 0, claimsExpired: 1 });
      expect(await store.removedFigures(q)).toEqual({ expired: 2, overflow: 1 });
      expect(await store.readAll(q, t0)).toHaveLength(3);
      expect(await store.removedFigures(queue())).toEqual({ expired: 0, overflow: 0 });
    });

    it('grants one trim turn per interval per queue', async () => {
      const store = make(LIFETIME);
      const q = queue();
      const now = Date.now();
      expect(await store.trimDue(q, now, 60_000)).toBe(true);
      expect(await store.trimDue(q, now + 59_999, 60_000)).toBe(false);
      expect(await store.trimDue(queue(), now, 60_000)).toBe(true);
      expect(await store.trimDue(q, now + 60_000, 60_000)).toBe(true);
      expect(await store.readAll(q, now)).toEqual([]);
    });

    it('deletes a whole queue, claimed records included, and says how many records it removed', async () => {
      const store = make(LIFETIME);
      const q = queue('x');
      await fill(store, q, 30, Date.now());
      const now = Date.now();
      await store.claim(q, (await store.readAll(q, now)).slice(0, 5), { clear: false, processId: 'z'.repeat(32), now });
      expect(await store.deleteQueue(q)).toBe(30);
      expect(await store.readAll(q, now)).toEqual([]);
      expect(await store.readProcess(q, 'z'.repeat(32), now)).toEqual([]);
    });
  });
}
