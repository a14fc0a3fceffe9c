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
import { firstInOrder, keysOnlyWalk, type PendingReader } from '../domain/pending-selection';
import type { ClaimCandidate, JournalStore } from '../domain/ports';
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

/**
 * `event.offline.get`.
 * Without process_id: claim up to `limit` matching pending records under a new process
 * (parallel calls never get the same record); clear=1 deletes them as they are claimed.
 * With process_id: the records that process still holds (re-read after a crash); clear=1
 * deletes them. The result's process_id is null when the batch was cleared.
 *
 * A call alone on its queue claims exactly the first `limit` matching records in order. When
 * a round of claims loses records to parallel calls, the next rounds re-read the head of the
 * queue and pick at random among several times the records still needed, so parallel callers
 * stop racing for the same records; such a batch holds records from near the head, not
 * strictly the first ones. After MAX_CLAIM_ROUNDS contended rounds the call returns what it
 * has (the figures say that more wait).
 */
export async function getOffline(
  journal: JournalStore,
  caller: Caller,
  request: OfflineGetRequest,
  now: number,
): Promise<OfflineGetResult> {
  const queue = queueOf(caller, request.connector);
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
  const figures = await journal.pendingFigures(queue, request.error, FIGURES_CAP);
  return {
    processId: request.clear ? null : processId,
    records: batch.sort(order),
    queue: {
      pending: figures.pending,
      pendingExact: figures.exact,
      oldestAge: figures.oldestId === undefined ? null : Math.max(0, Math.floor((now - idTime(figures.oldestId)) / 1000)),
    },
  };
}

async function claimBatch(
  journal: JournalStore,
  queue: QueueKey,
  request: { limit: number; clear: boolean; error: boolean; processId: string; filter: FilterCondition[]; terms: OrderTerm[]; now: number },
): Promise<JournalRecord[]> {
  const read: PendingReader = (walk, pageSize) => journal.pendingPages(queue, request.error, walk, pageSize);
  const options = { clear: request.clear, processId: request.processId, now: request.now, stopOnLoss: true };
  const claimed: JournalRecord[] = [];
  let spread = 1;
  for (let round = 0; round < MAX_CLAIM_ROUNDS && claimed.length < request.limit; round++) {
    const need = request.limit - claimed.length;
    const want = need * spread;
    // Contended: pick at random near the head, from the index's keys alone when the filter and
    // order allow it (about 1/20 of the read units of fetching every candidate's body).
    const keysWalk = spread > 1 ? keysOnlyWalk(request.terms, request.filter) : undefined;
    const candidates: (JournalRecord | ClaimCandidate)[] = keysWalk
      ? await journal.pendingKeys(queue, request.error, keysWalk, want)
      : await firstInOrder(read, request.filter, request.terms, want);
    const batch = spread > 1 ? pickAtRandom(candidates, need) : candidates;
    // A lost claim ends the round: the next one re-reads the queue and spreads over as many
    // more candidates as there seem to be competitors (a lost claim costs a write unit; a
    // record read far less).
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
