import { idTime } from './ids';
import { compareRecords, matchesFilter, type FilterCondition, type OrderTerm } from './journal';
import type { JournalRecord } from './model';

/**
 * Choosing the records an `event.offline.get` claims: the first `want` pending records that
 * match the filter, in the requested order, reading as little of the queue as possible.
 *
 * The journal can walk a queue's pending records (of one kind: normal or error) in two key
 * orders: by ID (an index) and by MESSAGE_ID (the table's own key). The read plan picks the
 * walk and decides when nothing further along it can still make the batch:
 *
 * - order starting with ID or MESSAGE_ID: the walk is that order, so the first `want`
 *   matches are the answer;
 * - order starting with TIMESTAMP_X ASC: walk by ID. The journal keeps every record's
 *   TIMESTAMP_X at or after the moment its ID was allocated (`idTime(ID)`), and writes only
 *   move TIMESTAMP_X forward, so a record further along the walk is never earlier than the
 *   second of `idTime` of the record at hand. The walk stops once that second is past the
 *   current `want`-th record's (or equal to it, when ID ASC is the only tie-break, since later
 *   records have larger IDs);
 * - any other order (TIMESTAMP_X DESC, EVENT_NAME): walk the whole queue.
 *
 * Filters on ID narrow the walk by ID to a key range; every filter is also applied to each
 * record read, so the result is the same whichever walk is used.
 */

export interface PendingWalk {
  by: 'id' | 'messageId';
  descending: boolean;
  /** Inclusive ID bounds (walk by ID only). */
  fromId?: number;
  toId?: number;
}

export interface ReadPlan {
  walk: PendingWalk;
  /** True when no record from `next` on (in walk order) can sort before `last`, the current last of the batch. */
  isPast(next: JournalRecord, last: JournalRecord): boolean;
}

const SECOND = 1000;
const second = (ms: number): number => Math.floor(ms / SECOND) * SECOND;

export function readPlan(order: readonly OrderTerm[], filter: readonly FilterCondition[]): ReadPlan {
  const [first, ...rest] = order;
  const never = (): boolean => false;
  if (first?.field === 'MESSAGE_ID') {
    // MESSAGE_ID is unique among a queue's pending records of one kind.
    return { walk: { by: 'messageId', descending: first.direction === 'DESC' }, isPast: () => true };
  }
  const walk: PendingWalk = { by: 'id', descending: first?.field === 'ID' && first.direction === 'DESC', ...idRange(filter) };
  if (first?.field === 'ID') return { walk, isPast: () => true };
  if (first?.field === 'TIMESTAMP_X' && first.direction === 'ASC') {
    const idBreaksTies = rest.length === 1 && rest[0]!.field === 'ID' && rest[0]!.direction === 'ASC';
    return {
      walk,
      isPast: (next, last) => {
        const earliest = second(idTime(next.id));
        const lastSecond = second(last.timestamp);
        return earliest > lastSecond || (idBreaksTies && earliest === lastSecond);
      },
    };
  }
  return { walk, isPast: never };
}

/**
 * The walk by ID a *contended* claim round may take on keys alone, or undefined when the
 * choice needs the records' bodies. A contended round does not claim strictly the first
 * records: it picks at random among several times the records it needs from near the head
 * (usecases/offline.ts), so only the head's keys matter. That holds with no filter (or one on
 * ID only, which is a key range) and an order whose head the walk by ID gives: ID either way,
 * or TIMESTAMP_X ASC (a record's TIMESTAMP_X is never before its ID's time).
 */
export function keysOnlyWalk(order: readonly OrderTerm[], filter: readonly FilterCondition[]): PendingWalk | undefined {
  // A range of IDs is a key range; `ID = a, b` ("any of") or `!ID` are not.
  const range = (c: FilterCondition) => c.field === 'ID' && (['>', '>=', '<', '<='].includes(c.op) || (c.op === '=' && c.values.length === 1));
  if (!filter.every(range)) return undefined;
  const [first] = order;
  if (first?.field === 'ID') return { by: 'id', descending: first.direction === 'DESC', ...idRange(filter) };
  if (first === undefined || (first.field === 'TIMESTAMP_X' && first.direction === 'ASC')) return { by: 'id', descending: false, ...idRange(filter) };
  return undefined;
}

/** The ID range that the filter's conditions on ID allow; undefined ends are open. */
function idRange(filter: readonly FilterCondition[]): { fromId?: number; toId?: number } {
  let from = -Infinity;
  let to = Infinity;
  for (const { field, op, values } of filter) {
    if (field !== 'ID') continue;
    const numbers = values as number[];
    if (op === '=') {
      from = Math.max(from, Math.min(...numbers));
      to = Math.min(to, Math.max(...numbers));
    } else if (op === '>') from = Math.max(from, numbers[0]! + 1);
    else if (op === '>=') from = Math.max(from, numbers[0]!);
    else if (op === '<') to = Math.min(to, numbers[0]! - 1);
    else if (op === '<=') to = Math.min(to, numbers[0]!);
  }
  return { ...(from > -Infinity ? { fromId: Math.max(from, 0) } : {}), ...(to < Infinity ? { toId: Math.max(to, -1) } : {}) };
}

/** Reads pending records along a walk, page by page; `pageSize` is a hint for the next page. */
export type PendingReader = (walk: PendingWalk, pageSize: () => number) => AsyncIterable<JournalRecord[]>;

const MAX_PAGE = 1000;

/** The first `want` pending records that match `filter`, in `order`, reading along the plan's walk. */
export async function firstInOrder(
  read: PendingReader,
  filter: readonly FilterCondition[],
  order: readonly OrderTerm[],
  want: number,
): Promise<JournalRecord[]> {
  if (want <= 0) return [];
  const plan = readPlan(order, filter);
  if (plan.walk.fromId !== undefined && plan.walk.toId !== undefined && plan.walk.fromId > plan.walk.toId) return [];
  const compare = compareRecords(order);
  const batch: JournalRecord[] = [];
  // Ask for what the batch still lacks plus one record past it (so the plan can tell that the
  // walk may stop); pages double while the filter or the plan keeps the walk going.
  let pages = 0;
  const pageSize = (): number => Math.min(MAX_PAGE, (want - batch.length + 1) * 2 ** pages++);
  for await (const page of read(plan.walk, pageSize)) {
    for (const record of page) {
      if (batch.length === want && plan.isPast(record, batch[want - 1]!)) return batch;
      if (!matchesFilter(record, filter)) continue;
      insertSorted(batch, record, compare);
      if (batch.length > want) batch.pop();
    }
  }
  return batch;
}

function insertSorted(sorted: JournalRecord[], record: JournalRecord, compare: (a: JournalRecord, b: JournalRecord) => number): void {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (compare(sorted[mid]!, record) <= 0) low = mid + 1;
    else high = mid;
  }
  sorted.splice(low, 0, record);
}
