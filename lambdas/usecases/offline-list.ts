import { errors } from '../domain/errors';
import { compareRecords, describeListedRecord, LIST_FIELDS, matchesFilter, parseFilter, parseOrder } from '../domain/journal';
import type { Caller } from '../domain/model';
import type { JournalStore } from '../domain/ports';
import { requireAdmin } from './authenticate';

export const LIST_PAGE_SIZE = 50;

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
 * `event.offline.list`: read the caller's queue without claiming anything.
 * 1. Administrator only; the queue is (portal, application) of the credential + connector.
 * 2. Parse filter and order (default ID ASC); an unknown field or operator is ERROR_ARGUMENT.
 * 3. Read, filter, order, cut the page of 50 at `start`.
 */
export async function listOffline(journal: JournalStore, caller: Caller, request: OfflineListRequest, now: number): Promise<OfflineListResult> {
  requireAdmin(caller, 'Offline events');
  const filter = parseFilter(request.filter, LIST_FIELDS);
  const order = parseOrder(request.order, LIST_FIELDS, [{ field: 'ID', direction: 'ASC' }]);
  if (request.start < -1) throw errors.argument('START', 'Start must be a non-negative integer');

  const records = (await journal.readAll({ memberId: caller.memberId, clientId: caller.clientId, connector: request.connector }, now))
    .filter((r) => matchesFilter(r, filter))
    .sort(compareRecords(order));

  const offset = Math.max(request.start, 0);
  const rows = records.slice(offset, offset + LIST_PAGE_SIZE).map(describeListedRecord);
  if (request.start === -1) return { rows };
  const next = offset + LIST_PAGE_SIZE < records.length ? offset + LIST_PAGE_SIZE : undefined;
  return { rows, total: records.length, ...(next !== undefined ? { next } : {}) };
}
