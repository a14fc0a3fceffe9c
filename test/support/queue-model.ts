import fc from 'fast-check';
import type { JournalRecord } from '../../lambdas/domain/model';

/**
 * A plain model of docs/journal.md's filter and order, written from the docs and independent of
 * lambdas/domain/journal.ts: the property tests compare the service against it.
 */

type Field = 'ID' | 'TIMESTAMP_X' | 'EVENT_NAME' | 'MESSAGE_ID';

function value(record: JournalRecord, field: Field): number | string {
  if (field === 'ID') return record.id;
  if (field === 'TIMESTAMP_X') return Math.floor(record.timestamp / 1000) * 1000; // clients see whole seconds
  if (field === 'EVENT_NAME') return record.eventName;
  return record.messageId;
}

function operand(field: Field, raw: string): number | string {
  if (field === 'ID') return Number(raw);
  if (field === 'TIMESTAMP_X') return Date.parse(raw);
  return field === 'EVENT_NAME' ? raw.toUpperCase() : raw.toLowerCase();
}

/** Records matching a Bitrix filter object such as `{">=ID": "5", "!EVENT_NAME": "X"}`. */
export function modelFilter(records: readonly JournalRecord[], filter: Record<string, string>): JournalRecord[] {
  return records.filter((r) =>
    Object.entries(filter).every(([key, raw]) => {
      const [, op = '=', field] = /^(>=|<=|!=|!|<|>|=)?(.+)$/.exec(key)!;
      const a = value(r, field as Field);
      const b = operand(field as Field, raw);
      switch (op) {
        case '=':
          return a === b;
        case '!':
        case '!=':
          return a !== b;
        case '<':
          return a < b;
        case '<=':
          return a <= b;
        case '>':
          return a > b;
        default:
          return a >= b;
      }
    }),
  );
}

/** Records sorted by a Bitrix order object, ID ascending breaking ties. */
export function modelOrder(records: readonly JournalRecord[], order: Record<string, 'ASC' | 'DESC'>): JournalRecord[] {
  const terms = Object.entries(order) as [Field, 'ASC' | 'DESC'][];
  if (terms.length === 0) terms.push(['TIMESTAMP_X', 'ASC']);
  if (!terms.some(([f]) => f === 'ID')) terms.push(['ID', 'ASC']);
  return [...records].sort((x, y) => {
    for (const [field, direction] of terms) {
      const a = value(x, field);
      const b = value(y, field);
      if (a !== b) return (a < b ? -1 : 1) * (direction === 'ASC' ? 1 : -1);
    }
    return 0;
  });
}

const FIELDS: Field[] = ['ID', 'TIMESTAMP_X', 'EVENT_NAME', 'MESSAGE_ID'];
const OPS = ['', '=', '!', '!=', '<', '<=', '>', '>='];

/** A random filter over the given records' own values (and a few that match nothing). */
export function filterArbitrary(records: readonly JournalRecord[]): fc.Arbitrary<Record<string, string>> {
  const operandOf = (field: Field, record: JournalRecord): string => {
    if (field === 'ID') return String(record.id);
    if (field === 'TIMESTAMP_X') return new Date(record.timestamp).toISOString();
    return field === 'EVENT_NAME' ? record.eventName : record.messageId;
  };
  const condition = fc
    .tuple(fc.constantFrom(...OPS), fc.constantFrom(...FIELDS), fc.nat(Math.max(records.length - 1, 0)))
    .map(([op, field, index]) => [`${op}${field}`, records[index] ? operandOf(field, records[index]) : field === 'ID' ? '1' : '2026-01-01T00:00:00Z'] as const);
  return fc.uniqueArray(condition, { maxLength: 2, selector: ([key]) => key.replace(/^\W+/, '') }).map((pairs) => Object.fromEntries(pairs));
}

export const orderArbitrary: fc.Arbitrary<Record<string, 'ASC' | 'DESC'>> = fc
  .uniqueArray(fc.tuple(fc.constantFrom(...FIELDS), fc.constantFrom('ASC' as const, 'DESC' as const)), { maxLength: 2, selector: ([f]) => f })
  .map((terms) => Object.fromEntries(terms));
