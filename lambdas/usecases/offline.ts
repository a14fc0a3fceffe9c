import { randomBytes } from 'node:crypto';
import { errors } from '../domain/errors';
import {
  compareRecords,
  describeListedRecord,
  describeRecord,
  GET_FIELDS,
  LIST_FIELDS,
  matchesFilter,
  parseFilter,
  parseOrder,
} from '../domain/journal';
import type { Caller, QueueKey } from '../domain/model';
import type { JournalStore } from '../domain/ports';
import { requireAdmin } from './authenticate';

/** The offline methods (SPEC §5): administrator only, on the caller's own queue. */

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

/**
 * `event.offline.get`.
 * Without process_id: claim up to `limit` matching pending records under a new process
 * (parallel calls never get the same record); clear=1 deletes them as they are claimed.
 * With process_id: the records that process still holds (re-read after a crash); clear=1
 * deletes them. The result's process_id is null when the batch was cleared.
 */
export async function getOffline(journal: JournalStore, caller: Caller, request: OfflineGetRequest, now: number): Promise<{ process_id: string | null; events: Record<string, unknown>[] }> {
  const queue = queueOf(caller, request.connector);
  if (request.limit <= 0 || request.limit > MAX_GET_LIMIT) throw errors.argument('LIMIT', `Limit must be an integer from 1 to ${MAX_GET_LIMIT}`);
  const filter = parseFilter(request.filter, GET_FIELDS);
  const order = compareRecords(parseOrder(request.order, GET_FIELDS, [{ field: 'TIMESTAMP_X', direction: 'ASC' }]));

  if (request.processId) {
    const held = (await journal.readProcess(queue, request.processId, now)).filter((r) => matchesFilter(r, filter)).sort(order).slice(0, request.limit);
    if (request.clear) await journal.deleteClaimed(queue, held);
    return { process_id: request.clear ? null : request.processId, events: held.map(describeRecord) };
  }

  const candidates = (await journal.readPending(queue, request.error)).filter((r) => matchesFilter(r, filter)).sort(order);
  const processId = newProcessId();
  const claimed = await journal.claim(queue, candidates, { limit: request.limit, clear: request.clear, processId, now });
  return { process_id: request.clear ? null : processId, events: claimed.sort(order).map(describeRecord) };
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
  rows: Record<string, unknown>[];
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
  const rows = records.slice(offset, offset + LIST_PAGE_SIZE).map(describeListedRecord);
  if (request.start === -1) return { rows };
  const next = offset + LIST_PAGE_SIZE < records.length ? offset + LIST_PAGE_SIZE : undefined;
  return { rows, total: records.length, ...(next !== undefined ? { next } : {}) };
}
