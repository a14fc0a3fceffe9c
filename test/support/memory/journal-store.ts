import { IdGenerator, idTime, type SlotLeaser } from '../../../lambdas/domain/ids';
import type { JournalRecord, QueueKey } from '../../../lambdas/domain/model';
import type { PendingWalk } from '../../../lambdas/domain/pending-selection';
import type { ClaimCandidate, ClaimLease, ClaimOptions, ClaimOutcome, JournalStore, JournalWrite, JournalWriteFailure, PendingFigures, QueueLimits, RemovedFigures, TrimOutcome } from '../../../lambdas/domain/ports';
import { systemClock, type Clock } from './clock';

/** A stored journal item: the record (event data kept as JSON text, as the table keeps it) and, when claimed, its expiry. */
interface Item {
  id: number;
  timestamp: number;
  eventName: string;
  data: string;
  additional: string;
  messageId: string;
  processId: string;
  error: boolean;
  /** Writes to a pending record (the adapter's `ver`); claimed copies have none. */
  version?: number;
  /** Claim expiry, unix ms (claimed copies only). */
  exp?: number;
}

export interface MemoryJournalOptions {
  /** The clock journal IDs are allocated from (the adapter's IdGenerator reads the system clock). */
  clock?: Clock;
  /** How long a clear=0 claim holds its records (CLAIM_LIFETIME_SECONDS; default 30 days). */
  claimLifetimeMs?: number;
}

/**
 * JournalStore in memory, as adapters/dynamo/journal-repository.ts behaves. Each queue is a
 * Map from the adapter's sort key to the item, so every read comes back in the table's order:
 * - pending `P#{MESSAGE_ID}`, pending error `E#{MESSAGE_ID}`, claimed `C#{process}#{ID, 16 digits}`;
 * - a write merges into the pending record of its MESSAGE_ID (keeping its ID, bumping its
 *   version, TIMESTAMP_X never before the ID's time) or creates one with a new ID from the
 *   domain's IdGenerator; claimed records are never touched by writes;
 * - a claim is exclusive: clear=1 deletes the pending record if it is still the candidate's
 *   ID; clear=0 moves the newest version under the process with `exp = now + lifetime`;
 *   `stopOnLoss` stops at the first lost claim (the adapter has up to 16 in flight; one at a
 *   time here, which the port allows);
 * - reads drop claimed copies whose `exp` is not after `now`; `markError` and `deleteQueue`
 *   see every item, expired or not, as the adapter's queries do;
 * - `markError` puts the pending error record (version 1, TIMESTAMP_X = max(now, ID time)),
 *   then deletes the records' claimed copies, every other non-error claimed copy of their
 *   MESSAGE_IDs and their pending records (`P#`).
 * - claim leases are kept per queue and kind by `fromId`; a lease is taken when none with that
 *   `fromId` is live (exp after `now`) and released only while it is still the one taken.
 * - a trim removes pending records last written before `now - retention`, then the oldest (by
 *   ID) of each kind beyond the limit, then expired claimed copies, and adds the pending ones
 *   to the queue's removed totals; `trimDue` grants one turn per interval per queue.
 * Fault injection: a write for which `fail` returns an error is not written and is listed in
 * `failed` (the others are written), as the adapter does when DynamoDB refuses one.
 * A walk's pages are read one at a time from the current state, so records that change between
 * pages show as they would in DynamoDB.
 */
export class MemoryJournalStore implements JournalStore {
  private readonly queues = new Map<string, Map<string, Item>>();
  private readonly leases = new Map<string, Map<string, ClaimLease>>();
  private readonly stats = new Map<string, RemovedFigures & { trimmedAt?: number }>();
  private readonly ids: IdGenerator;
  private readonly claimLifetimeMs: number;
  fail?: (queue: QueueKey, write: JournalWrite) => Error | undefined;

  constructor(options: MemoryJournalOptions = {}) {
    const clock = options.clock ?? systemClock;
    // A used-up 10 ms tick makes the generator wait for the next one: on the system clock it
    // sleeps, on a test's clock the wait moves the generator's own time forward instead.
    let skew = 0;
    const idClock: Clock = options.clock ? () => clock() + skew : clock;
    const sleep = options.clock
      ? async (ms: number) => {
          skew += ms;
        }
      : (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
    this.ids = new IdGenerator(new FixedSlotLeaser(idClock), idClock, sleep);
    this.claimLifetimeMs = options.claimLifetimeMs ?? 30 * 24 * 3600 * 1000;
  }

  async write(queue: QueueKey, writes: JournalWrite[], now: number): Promise<{ created: number; merged: number; failed?: JournalWriteFailure[] }> {
    const ids = await this.ids.next(writes.length, queueKey(queue));
    const items = this.partition(queue);
    let created = 0;
    const failed: JournalWriteFailure[] = [];
    writes.forEach((write, index) => {
      const error = this.fail?.(queue, write);
      if (error) {
        failed.push({ messageId: write.messageId, error });
        return;
      }
      const sk = `P#${write.messageId}`;
      const existing = items.get(sk);
      const id = existing?.id ?? ids[index]!;
      const timestamp = Math.max(now, idTime(ids[index]!), idTime(id));
      if (!existing) created++;
      items.set(sk, {
        id,
        timestamp,
        eventName: write.eventName,
        data: JSON.stringify(write.eventData ?? null),
        additional: JSON.stringify(write.eventAdditional),
        messageId: write.messageId,
        processId: '',
        error: false,
        version: (existing?.version ?? 0) + 1,
      });
    });
    return { created, merged: writes.length - created - failed.length, ...(failed.length > 0 ? { failed } : {}) };
  }

  async readAll(queue: QueueKey, now: number): Promise<JournalRecord[]> {
    return this.items(queue, '').filter((i) => live(i, now)).map(toRecord);
  }

  async *pendingPages(queue: QueueKey, error: boolean, walk: PendingWalk, pageSize: () => number): AsyncIterable<JournalRecord[]> {
    let after: Item | undefined;
    for (;;) {
      const walked = this.walk(queue, error, walk);
      const start = after === undefined ? 0 : walked.findIndex((i) => isAfter(i, after!, walk));
      const size = pageSize();
      const page = start < 0 ? [] : walked.slice(start, start + size);
      yield page.map(toRecord);
      // DynamoDB stops a page at its Limit and says there may be more: a full page is followed by another read.
      if (page.length < size) return;
      after = page[page.length - 1];
    }
  }

  async pendingKeys(queue: QueueKey, error: boolean, walk: PendingWalk, count: number): Promise<ClaimCandidate[]> {
    return this.walk(queue, error, { ...walk, by: 'id' })
      .slice(0, count)
      .map((i) => ({ id: i.id, messageId: i.messageId, error }));
  }

  async pendingFigures(queue: QueueKey, error: boolean, cap: number): Promise<PendingFigures> {
    const pending = this.walk(queue, error, { by: 'id', descending: false });
    const oldest = pending[0]?.id;
    return { pending: Math.min(pending.length, cap), exact: pending.length <= cap, ...(oldest !== undefined ? { oldestId: oldest } : {}) };
  }

  async claimLeases(queue: QueueKey, error: boolean, now: number): Promise<ClaimLease[]> {
    return [...this.leasesOf(queue, error).values()].filter((l) => l.exp > now).map((l) => ({ ...l }));
  }

  async takeLease(queue: QueueKey, error: boolean, lease: ClaimLease, now: number): Promise<ClaimLease | undefined> {
    const leases = this.leasesOf(queue, error);
    const held = leases.get(String(lease.fromId));
    if (held && held.exp > now) return { ...held };
    leases.set(String(lease.fromId), { ...lease });
    return undefined;
  }

  async releaseLease(queue: QueueKey, error: boolean, lease: ClaimLease): Promise<void> {
    const leases = this.leasesOf(queue, error);
    if (leases.get(String(lease.fromId))?.exp === lease.exp) leases.delete(String(lease.fromId));
  }

  private leasesOf(queue: QueueKey, error: boolean): Map<string, ClaimLease> {
    const key = JSON.stringify([queue.memberId, queue.clientId, queue.connector, error]);
    let leases = this.leases.get(key);
    if (!leases) {
      leases = new Map();
      this.leases.set(key, leases);
    }
    return leases;
  }

  async claim(queue: QueueKey, batch: readonly (JournalRecord | ClaimCandidate)[], options: ClaimOptions): Promise<ClaimOutcome> {
    const items = this.partition(queue);
    const claimed: JournalRecord[] = [];
    let attempted = 0;
    for (const candidate of batch) {
      attempted++;
      const sk = `${candidate.error ? 'E' : 'P'}#${candidate.messageId}`;
      const current = items.get(sk);
      if (!current || current.id !== candidate.id) {
        if (options.stopOnLoss) break;
        continue;
      }
      items.delete(sk);
      if (options.clear) {
        claimed.push(toRecord(current));
        continue;
      }
      // The adapter copies the newest version under the process (a merge since the read is kept).
      const held: Item = { ...current, processId: options.processId, exp: options.now + this.claimLifetimeMs };
      delete held.version;
      items.set(claimedSk(options.processId, current.id), held);
      claimed.push({ ...toRecord(current), processId: options.processId });
    }
    return { claimed, attempted };
  }

  async readProcess(queue: QueueKey, processId: string, now: number): Promise<JournalRecord[]> {
    return this.items(queue, `C#${processId}#`).filter((i) => live(i, now)).map(toRecord);
  }

  async deleteClaimed(queue: QueueKey, records: readonly JournalRecord[]): Promise<void> {
    const items = this.partition(queue);
    for (const record of records) items.delete(recordSk(record));
  }

  async markError(queue: QueueKey, records: readonly JournalRecord[], now: number): Promise<void> {
    if (records.length === 0) return;
    const items = this.partition(queue);
    for (const record of records) {
      items.set(`E#${record.messageId}`, {
        ...toItem(record),
        processId: '',
        error: true,
        timestamp: Math.max(now, idTime(record.id)),
        version: 1,
      });
    }
    const messageIds = new Set(records.map((r) => r.messageId));
    const doomed = [
      ...records.map(recordSk),
      ...this.items(queue, 'C#').filter((i) => messageIds.has(i.messageId) && !i.error).map((i) => claimedSk(i.processId, i.id)),
      ...[...messageIds].map((mid) => `P#${mid}`),
    ];
    for (const sk of doomed) items.delete(sk);
  }

  async deleteQueue(queue: QueueKey): Promise<number> {
    const items = this.partition(queue);
    const count = items.size;
    items.clear();
    this.leasesOf(queue, false).clear();
    this.leasesOf(queue, true).clear();
    this.stats.delete(JSON.stringify([queue.memberId, queue.clientId, queue.connector]));
    return count;
  }

  async trimDue(queue: QueueKey, now: number, intervalMs: number): Promise<boolean> {
    const stats = this.statsOf(queue);
    if (stats.trimmedAt !== undefined && stats.trimmedAt > now - intervalMs) return false;
    stats.trimmedAt = now;
    return true;
  }

  async trim(queue: QueueKey, limits: QueueLimits, now: number): Promise<TrimOutcome> {
    const items = this.partition(queue);
    let expired = 0;
    let overflow = 0;
    for (const error of [false, true]) {
      for (const item of this.walk(queue, error, { by: 'id', descending: false })) {
        if (item.timestamp >= now - limits.retentionMs) continue;
        items.delete(`${error ? 'E' : 'P'}#${item.messageId}`);
        expired++;
      }
      const left = this.walk(queue, error, { by: 'id', descending: false });
      for (const item of left.slice(0, Math.max(0, left.length - limits.maxRecords))) {
        items.delete(`${error ? 'E' : 'P'}#${item.messageId}`);
        overflow++;
      }
    }
    const claims = this.items(queue, 'C#').filter((i) => !live(i, now));
    for (const item of claims) items.delete(claimedSk(item.processId, item.id));
    const stats = this.statsOf(queue);
    stats.expired += expired;
    stats.overflow += overflow;
    return { expired, overflow, claimsExpired: claims.length };
  }

  async removedFigures(queue: QueueKey): Promise<RemovedFigures> {
    const { expired, overflow } = this.statsOf(queue);
    return { expired, overflow };
  }

  private statsOf(queue: QueueKey): RemovedFigures & { trimmedAt?: number } {
    const key = JSON.stringify([queue.memberId, queue.clientId, queue.connector]);
    let stats = this.stats.get(key);
    if (!stats) {
      stats = { expired: 0, overflow: 0 };
      this.stats.set(key, stats);
    }
    return stats;
  }

  /** The queue's items whose key starts with `prefix`, in key order. */
  private items(queue: QueueKey, prefix: string): Item[] {
    return [...this.partition(queue).entries()]
      .filter(([sk]) => sk.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, item]) => item);
  }

  /** Pending items of one kind along a walk: by ID within its bounds (the byOrder index) or by MESSAGE_ID (the table's key). */
  private walk(queue: QueueKey, error: boolean, walk: PendingWalk): Item[] {
    const pending = this.items(queue, error ? 'E#' : 'P#');
    const ordered =
      walk.by === 'id'
        ? pending.filter((i) => i.id >= (walk.fromId ?? 0) && i.id <= (walk.toId ?? Number.MAX_SAFE_INTEGER)).sort((a, b) => a.id - b.id)
        : pending;
    return walk.descending ? ordered.reverse() : ordered;
  }

  private partition(queue: QueueKey): Map<string, Item> {
    const key = queueKey(queue);
    let items = this.queues.get(key);
    if (!items) {
      items = new Map();
      this.queues.set(key, items);
    }
    return items;
  }
}

/** One writer: always slot 0, leased for ever (IDs stay unique because one generator serves the store). */
class FixedSlotLeaser implements SlotLeaser {
  constructor(private readonly clock: Clock) {}

  async acquire(): Promise<{ slot: number; validUntil: number }> {
    return { slot: 0, validUntil: this.clock() + 365 * 24 * 3600 * 1000 };
  }
}

const queueKey = (queue: QueueKey): string => JSON.stringify([queue.memberId, queue.clientId, queue.connector]);

const claimedSk = (processId: string, id: number): string => `C#${processId}#${String(id).padStart(16, '0')}`;

/** The key a record lives under (adapter's recordSk): claimed records by process and ID, pending ones by MESSAGE_ID. */
const recordSk = (record: JournalRecord): string => (record.processId !== '' ? claimedSk(record.processId, record.id) : `${record.error ? 'E' : 'P'}#${record.messageId}`);

const live = (item: Item, now: number): boolean => item.exp === undefined || item.exp > now;

/** Whether `item` comes after `last` along the walk (the page's continuation key). */
function isAfter(item: Item, last: Item, walk: PendingWalk): boolean {
  const forward = walk.by === 'id' ? item.id > last.id : item.messageId > last.messageId;
  const backward = walk.by === 'id' ? item.id < last.id : item.messageId < last.messageId;
  return walk.descending ? backward : forward;
}

function toItem(record: JournalRecord): Item {
  return {
    id: record.id,
    timestamp: record.timestamp,
    eventName: record.eventName,
    data: JSON.stringify(record.eventData ?? null),
    additional: JSON.stringify(record.eventAdditional),
    messageId: record.messageId,
    processId: record.processId,
    error: record.error,
  };
}

function toRecord(item: Item): JournalRecord {
  return {
    id: item.id,
    timestamp: item.timestamp,
    eventName: item.eventName,
    eventData: JSON.parse(item.data) as unknown,
    eventAdditional: JSON.parse(item.additional) as Record<string, unknown>,
    messageId: item.messageId,
    processId: item.processId,
    error: item.error,
    ...(item.version !== undefined ? { version: item.version } : {}),
  };
}
