import { randomBytes } from 'node:crypto';
import { errors } from '../domain/errors';
import { idTime } from '../domain/ids';
import {
  compareRecords,
  GET_FIELDS,
  LIST_FIELDS,
  matchesFilter,
  parseFilter,
  parseOrder,
  type FilterCondition,
  type OrderTerm,
} from '../domain/journal';
import type { Caller, JournalRecord, QueueKey } from '../domain/model';
import { firstInOrder, keysOnlyWalk, type PendingReader, type PendingWalk } from '../domain/pending-selection';
import type { ClaimCandidate, ClaimLease, JournalStore } from '../domain/ports';
import { requireAdmin } from './authenticate';

/** The offline methods (docs/journal.md): administrator only, on the caller's own queue. */

export const LIST_PAGE_SIZE = 50;
export const DEFAULT_GET_LIMIT = 50;
/** The largest batch one event.offline.get claims. */
export const MAX_GET_LIMIT = 1000;

function queueOf(caller: Caller, connector: string): QueueKey {
  requireAdmin(caller, 'Offline events');
  return { memberId: caller.memberId, clientId: caller.clientId, connector };
}

export const newProcessId = (): string => randomBytes(16).toString('hex');

export interface OfflineGetRequest {
  filter?: unknown;
  order?: unknown;
  limit: number;
  clear: boolean;
  processId?: string;
  connector: string;
  /** Take error records instead of normal ones. */
  error: boolean;
}

/** What `event.offline.get` tells next to its result: whether to poll again at once. */
export interface QueueFigures {
  /** Pending records of the kind asked for (normal or error) left after this call, counted up to 1,000. */
  pending: number;
  /** False when more than `pending` records wait. */
  pendingExact: boolean;
  /** Seconds since the oldest of them was first written; null when none wait. */
  oldestAge: number | null;
  /** Pending records the queue's retention removed, in total (docs/journal.md, "Retention and queue size"). */
  removedExpired: number;
  /** The oldest pending records its size limit removed, in total. */
  removedOverflow: number;
}

/** What `event.offline.get` hands out: the batch in the order asked for, and the queue's figures. */
export interface OfflineGetResult {
  /** The process holding the batch; null when it was cleared (clear=1). */
  processId: string | null;
  records: JournalRecord[];
  queue: QueueFigures;
}

export const FIGURES_CAP = 1000;
/** Rounds of claims one call makes when parallel callers keep taking its candidates. */
const MAX_CLAIM_ROUNDS = 8;
/** Under contention a round picks its records at random among up to this many times as many candidates. */
const MAX_SPREAD = 16;
/** Leases taken or lost by one call before it returns what it has. */
const MAX_LEASE_TRIES = 24;
/** How long a claim lease holds (a call takes well under a second; a crashed call's records come free after this). */
export const LEASE_MS = 30_000;
/** The most head keys one call reads to find records no lease holds. */
const MAX_HEAD_KEYS = 16 * MAX_GET_LIMIT;

/**
 * `event.offline.get`.
 * Without process_id: claim up to `limit` matching pending records under a new process
 * (parallel calls never get the same record); clear=1 deletes them as they are claimed.
 * With process_id: the records that process still holds (re-read after a crash); clear=1
 * deletes them. The result's process_id is null when the batch was cleared.
 *
 * A call alone on its queue claims exactly the first `limit` matching records in order.
 * Parallel calls lease the ranges they claim and pick beside each other's leases (claimLeased),
 * or, when the choice needs the records' bodies, pick at random near the head after a lost
 * race (claimRacing); such a batch holds records from near the head, not strictly the first
 * ones. After MAX_CLAIM_ROUNDS rounds the call returns what it has (the figures say that more
 * wait).
 */
export async function getOffline(
  journal: JournalStore,
  caller: Caller,
  request: OfflineGetRequest,
  now: number,
  upkeep?: { after(queue: QueueKey, now: number): Promise<unknown> },
): Promise<OfflineGetResult> {
  const queue = queueOf(caller, request.connector);
  await upkeep?.after(queue, now);
  if (request.limit <= 0 || request.limit > MAX_GET_LIMIT) throw errors.argument('LIMIT', `Limit must be an integer from 1 to ${MAX_GET_LIMIT}`);
  const filter = parseFilter(request.filter, GET_FIELDS);
  const terms = parseOrder(request.order, GET_FIELDS, [{ field: 'TIMESTAMP_X', direction: 'ASC' }]);
  const order = compareRecords(terms);

  let batch: JournalRecord[];
  let processId: string | null;
  if (request.processId) {
    batch = (await journal.readProcess(queue, request.processId, now)).filter((r) => matchesFilter(r, filter)).sort(order).slice(0, request.limit);
    if (request.clear) await journal.deleteClaimed(queue, batch);
    processId = request.processId;
  } else {
    processId = newProcessId();
    batch = await claimBatch(journal, queue, { ...request, processId, filter, terms, now });
  }
  const [figures, removed] = await Promise.all([journal.pendingFigures(queue, request.error, FIGURES_CAP), journal.removedFigures(queue)]);
  return {
    processId: request.clear ? null : processId,
    records: batch.sort(order),
    queue: {
      pending: figures.pending,
      pendingExact: figures.exact,
      oldestAge: figures.oldestId === undefined ? null : Math.max(0, Math.floor((now - idTime(figures.oldestId)) / 1000)),
      removedExpired: removed.expired,
      removedOverflow: removed.overflow,
    },
  };
}

interface ClaimRequest {
  limit: number;
  clear: boolean;
  error: boolean;
  processId: string;
  filter: FilterCondition[];
  terms: OrderTerm[];
  now: number;
}

async function claimBatch(journal: JournalStore, queue: QueueKey, request: ClaimRequest): Promise<JournalRecord[]> {
  const keysWalk = keysOnlyWalk(request.terms, request.filter);
  return keysWalk ? claimLeased(journal, queue, request, keysWalk) : claimRacing(journal, queue, request);
}

/**
 * The claim when the head of the queue can be chosen on keys alone (the default order, ID
 * order, filters on ID only): each call leases the range of IDs it is about to claim, and
 * parallel calls pick the first records no live lease holds, so they seldom race for a record
 * (a lost race is a billed write). A call that sees no lease claims exactly the first `limit`
 * records in order (it reads their bodies, as TIMESTAMP_X needs); one that sees leases reads
 * keys only. A lease lost to a parallel call hands back the winner's range: the call picks
 * beside it from the keys it already has. Each record's claim stays exclusive on its own, so
 * a stale or expired lease costs at most a lost race, never a duplicate.
 */
async function claimLeased(journal: JournalStore, queue: QueueKey, request: ClaimRequest, walk: PendingWalk): Promise<JournalRecord[]> {
  const { error, now } = request;
  const options = { clear: request.clear, processId: request.processId, now, stopOnLoss: true };
  const read: PendingReader = (w, pageSize) => journal.pendingPages(queue, error, w, pageSize);
  let held = await journal.claimLeases(queue, error, now);
  const isFree = (id: number): boolean => !held.some((l) => l.fromId <= id && id <= l.toId);
  const head = new HeadKeys(journal, queue, error, walk);
  const claimed: JournalRecord[] = [];
  let rounds = 0;
  for (let tries = 0; tries < MAX_LEASE_TRIES && rounds < MAX_CLAIM_ROUNDS && claimed.length < request.limit; tries++) {
    const need = request.limit - claimed.length;
    const alone = rounds === 0 && held.length === 0;
    const batch: (JournalRecord | ClaimCandidate)[] = alone ? await firstInOrder(read, request.filter, request.terms, need) : await head.firstFree(need, isFree, held.length);
    if (batch.length === 0) break;
    // Fewer than needed: the queue holds no more (alone), or none outside the leases seen.
    const last = batch.length < need && (alone || head.exhausted);
    const ids = batch.map((c) => c.id);
    const lease: ClaimLease = { fromId: Math.min(...ids), toId: Math.max(...ids), exp: now + LEASE_MS };
    const holder = await journal.takeLease(queue, error, lease, now);
    if (holder) {
      held = [...held, holder];
      continue;
    }
    rounds++;
    try {
      // The first record alone, then the rest: when the batch is stale (a parallel call took
      // and gave back its lease between this call's reads and its lease), the head is what is
      // gone, so one lost write tells, not one per claim in flight.
      const probe = await journal.claim(queue, batch.slice(0, 1), options);
      const rest = probe.claimed.length === 1 && batch.length > 1 ? await journal.claim(queue, batch.slice(1), options) : { claimed: [], attempted: 0 };
      const won = [...probe.claimed, ...rest.claimed];
      const attempted = probe.attempted + rest.attempted;
      claimed.push(...won);
      if (won.length < attempted) {
        // A call whose lease this one did not see took records: look again.
        held = await journal.claimLeases(queue, error, now);
        head.forget();
      } else if (last) break;
    } finally {
      await journal.releaseLease(queue, error, lease);
    }
    held = held.concat(lease); // its records are gone or were lost: never pick them again in this call
  }
  return claimed;
}

/** The keys of the head of a queue (walk order), read as far as a call needs and kept between its rounds. */
class HeadKeys {
  private keys: ClaimCandidate[] = [];
  private read = false;
  exhausted = false;

  constructor(
    private readonly journal: JournalStore,
    private readonly queue: QueueKey,
    private readonly error: boolean,
    private readonly walk: PendingWalk,
  ) {}

  /** Up to `need` keys that `isFree` lets through, first in walk order, reading further along the walk when the ones read fall short. */
  async firstFree(need: number, isFree: (id: number) => boolean, leases: number): Promise<ClaimCandidate[]> {
    let count = need * (leases + 1) + 1;
    for (;;) {
      const free = this.keys.filter((k) => isFree(k.id)).slice(0, need);
      if (free.length === need || (this.read && this.exhausted)) return free;
      const last = this.keys[this.keys.length - 1];
      const from = last === undefined ? this.walk : this.walk.descending ? { ...this.walk, toId: last.id - 1 } : { ...this.walk, fromId: last.id + 1 };
      const more = await this.journal.pendingKeys(this.queue, this.error, from, count);
      this.read = true;
      this.keys.push(...more);
      this.exhausted = more.length < count;
      if (this.keys.length >= MAX_HEAD_KEYS) this.exhausted = true;
      count = Math.min(count * 2, MAX_HEAD_KEYS);
    }
  }

  /** Drops what was read: the next pick reads the head again. */
  forget(): void {
    this.keys = [];
    this.read = false;
    this.exhausted = false;
  }
}

/**
 * The claim when the choice needs the records' bodies (filters on other fields, orders the
 * keys cannot give): when a round of claims loses records to parallel calls, the next rounds
 * re-read the head and pick at random among several times the records still needed.
 */
async function claimRacing(journal: JournalStore, queue: QueueKey, request: ClaimRequest): Promise<JournalRecord[]> {
  const read: PendingReader = (walk, pageSize) => journal.pendingPages(queue, request.error, walk, pageSize);
  const options = { clear: request.clear, processId: request.processId, now: request.now, stopOnLoss: true };
  const claimed: JournalRecord[] = [];
  let spread = 1;
  for (let round = 0; round < MAX_CLAIM_ROUNDS && claimed.length < request.limit; round++) {
    const need = request.limit - claimed.length;
    const want = need * spread;
    const candidates = await firstInOrder(read, request.filter, request.terms, want);
    const batch = spread > 1 ? pickAtRandom(candidates, need) : candidates;
    // A lost claim ends the round: the next one re-reads the queue and spreads over as many
    // more candidates as there seem to be competitors.
    const { claimed: won, attempted } = await journal.claim(queue, batch, options);
    claimed.push(...won);
    if (won.length < attempted) {
      spread = Math.min(MAX_SPREAD, Math.max(spread * 2, Math.ceil((2 * attempted) / Math.max(won.length, 1))));
    } else if (candidates.length < want) break; // the queue holds no more matching records
  }
  return claimed;
}

/** `count` records of `records` chosen at random (Fisher–Yates on a copy). */
function pickAtRandom<T>(records: readonly T[], count: number): T[] {
  const pool = records.slice();
  const n = Math.min(count, pool.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(Math.random() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, n);
}

/** `event.offline.clear`: delete a process's records, all of them or the listed ones. */
export async function clearOffline(
  journal: JournalStore,
  caller: Caller,
  request: { processId: string; ids?: number[]; messageIds?: string[]; connector: string },
  now: number,
): Promise<true> {
  const queue = queueOf(caller, request.connector);
  if (request.processId === '') throw errors.argumentEmpty('process_id');
  let held = await journal.readProcess(queue, request.processId, now);
  if (request.ids && request.ids.length > 0) {
    const ids = new Set(request.ids);
    held = held.filter((r) => ids.has(r.id));
  } else if (request.messageIds && request.messageIds.length > 0) {
    const mids = new Set(request.messageIds);
    held = held.filter((r) => mids.has(r.messageId));
  }
  await journal.deleteClaimed(queue, held);
  return true;
}

/**
 * `event.offline.error`: the process's listed records go back to the queue as pending error
 * records (returned only by `get` with error=1); other non-error copies of those objects are
 * removed, so the error record stands for the object.
 */
export async function errorOffline(
  journal: JournalStore,
  caller: Caller,
  request: { processId: string; messageIds: string[]; connector: string },
  now: number,
): Promise<true> {
  const queue = queueOf(caller, request.connector);
  if (request.processId === '') throw errors.argumentEmpty('process_id');
  if (request.messageIds.length === 0) throw errors.argumentEmpty('message_id');
  const mids = new Set(request.messageIds);
  const held = (await journal.readProcess(queue, request.processId, now)).filter((r) => mids.has(r.messageId));
  await journal.markError(queue, held, now);
  return true;
}

export interface OfflineListRequest {
  filter?: unknown;
  order?: unknown;
  /** Offset of the page; -1 = first page, without counting. */
  start: number;
  connector: string;
}

export interface OfflineListResult {
  records: JournalRecord[];
  total?: number;
  next?: number;
}

/**
 * `event.offline.list`: read the queue without claiming anything. Filter and order also take
 * PROCESS_ID and ERROR; default order ID ASC; pages of 50 at `start`.
 */
export async function listOffline(journal: JournalStore, caller: Caller, request: OfflineListRequest, now: number): Promise<OfflineListResult> {
  const queue = queueOf(caller, request.connector);
  const filter = parseFilter(request.filter, LIST_FIELDS);
  const order = parseOrder(request.order, LIST_FIELDS, [{ field: 'ID', direction: 'ASC' }]);
  if (request.start < -1) throw errors.argument('START', 'Start must be a non-negative integer');

  const records = (await journal.readAll(queue, now)).filter((r) => matchesFilter(r, filter)).sort(compareRecords(order));
  const offset = Math.max(request.start, 0);
  const page = records.slice(offset, offset + LIST_PAGE_SIZE);
  if (request.start === -1) return { records: page };
  const next = offset + LIST_PAGE_SIZE < records.length ? offset + LIST_PAGE_SIZE : undefined;
  return { records: page, total: records.length, ...(next !== undefined ? { next } : {}) };
}
