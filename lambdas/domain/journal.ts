import { createHash } from 'node:crypto';
import { errors } from './errors';
import type { JournalRecord } from './model';

/**
 * Journal rules that need no storage (docs/journal.md): the message id, filters, order and the
 * record shape clients see. The repository applies them; tests check them against a model.
 */

/** The producer's id, or md5 of `EVENT_NAME|json(EVENT_DATA)`: one object, one id. */
export function messageIdOf(eventName: string, data: unknown, producerId?: string): string {
  if (producerId !== undefined) return producerId.toLowerCase();
  return createHash('md5').update(`${eventName}|${JSON.stringify(data ?? null)}`).digest('hex');
}

export type FilterField = 'ID' | 'TIMESTAMP_X' | 'EVENT_NAME' | 'MESSAGE_ID' | 'PROCESS_ID' | 'ERROR';
export type FilterOp = '=' | '!=' | '<' | '<=' | '>' | '>=';
export type SortDirection = 'ASC' | 'DESC';

export const GET_FIELDS: readonly FilterField[] = ['ID', 'TIMESTAMP_X', 'EVENT_NAME', 'MESSAGE_ID'];
export const LIST_FIELDS: readonly FilterField[] = [...GET_FIELDS, 'PROCESS_ID', 'ERROR'];

export interface FilterCondition {
  field: FilterField;
  op: FilterOp;
  /** Several values with `=` mean "any of", with `!=` "none of". */
  values: (number | string)[];
}

export interface OrderTerm {
  field: FilterField;
  direction: SortDirection;
}

const FILTER_KEY = /^(>=|<=|!=|=|!|<|>)?([A-Z_]+)$/;

/** Parses a Bitrix filter (`{">=ID": 5, "!EVENT_NAME": "X"}`) for the allowed fields. */
export function parseFilter(raw: unknown, allowed: readonly FilterField[]): FilterCondition[] {
  if (raw === undefined || raw === null || raw === '') return [];
  if (typeof raw !== 'object' || Array.isArray(raw)) throw errors.argument('FILTER', 'Filter must be an object');
  return Object.entries(raw as Record<string, unknown>).map(([key, value]) => {
    const match = FILTER_KEY.exec(key.trim().toUpperCase());
    if (!match) throw errors.argument('FILTER', `Unknown filter operation in '${key}'`);
    const op: FilterOp = match[1] === undefined ? '=' : match[1] === '!' ? '!=' : (match[1] as FilterOp);
    const field = match[2] as FilterField;
    if (!allowed.includes(field)) throw errors.argument('FILTER', `Filter field '${field}' is not supported`);
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0 || ((op !== '=' && op !== '!=') && list.length > 1)) {
      throw errors.argument('FILTER', `Filter '${key}' needs one value`);
    }
    return { field, op, values: list.map((v) => filterValue(field, v, key)) };
  });
}

function filterValue(field: FilterField, value: unknown, key: string): number | string {
  const text = typeof value === 'number' || typeof value === 'boolean' ? String(Number(value)) : value;
  if (typeof text !== 'string') throw errors.argument('FILTER', `Filter '${key}' has a value of the wrong type`);
  switch (field) {
    case 'ID': {
      if (!/^\d{1,16}$/.test(text.trim())) throw errors.argument('FILTER', `Filter '${key}' must be an integer`);
      return Number(text);
    }
    case 'TIMESTAMP_X': {
      const ms = parseTimestamp(text);
      if (ms === undefined) throw errors.argument('FILTER', `Filter '${key}' must be a date (ISO 8601)`);
      return ms;
    }
    case 'ERROR': {
      const v = text.trim().toUpperCase();
      if (v === '1' || v === 'Y') return 1;
      if (v === '0' || v === 'N' || v === '') return 0;
      throw errors.argument('FILTER', `Filter '${key}' must be 0 or 1`);
    }
    case 'EVENT_NAME':
      return text.trim().toUpperCase();
    default:
      return text.trim().toLowerCase();
  }
}

/** ISO 8601 (with or without offset, taken as UTC without), or Bitrix's `DD.MM.YYYY HH:MI:SS`. */
export function parseTimestamp(text: string): number | undefined {
  const bitrix = /^(\d{2})\.(\d{2})\.(\d{4})(?: (\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(text.trim());
  if (bitrix) {
    const [, d, m, y, hh = '0', mm = '0', ss = '0'] = bitrix;
    return Date.UTC(Number(y), Number(m) - 1, Number(d), Number(hh), Number(mm), Number(ss));
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(text.trim())) return undefined;
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(text.trim());
  const ms = Date.parse(hasZone ? text.trim() : `${text.trim()}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Parses `{FIELD: ASC|DESC}`; an empty order means `fallback`. ID ASC breaks ties. */
export function parseOrder(raw: unknown, allowed: readonly FilterField[], fallback: OrderTerm[]): OrderTerm[] {
  if (raw === undefined || raw === null || raw === '') return withTieBreak(fallback);
  if (typeof raw !== 'object' || Array.isArray(raw)) throw errors.argument('ORDER', 'Order must be an object');
  const terms = Object.entries(raw as Record<string, unknown>).map(([key, value]) => {
    const field = key.trim().toUpperCase() as FilterField;
    if (!allowed.includes(field)) throw errors.argument('ORDER', `Order field '${key}' is not supported`);
    const direction = String(value ?? '').trim().toUpperCase();
    if (direction !== 'ASC' && direction !== 'DESC') throw errors.argument('ORDER', `Order of '${key}' must be ASC or DESC`);
    return { field, direction } as OrderTerm;
  });
  return withTieBreak(terms.length > 0 ? terms : fallback);
}

function withTieBreak(terms: OrderTerm[]): OrderTerm[] {
  return terms.some((t) => t.field === 'ID') ? terms : [...terms, { field: 'ID', direction: 'ASC' }];
}

function fieldValue(record: JournalRecord, field: FilterField): number | string {
  switch (field) {
    case 'ID':
      return record.id;
    case 'TIMESTAMP_X':
      // Clients see whole seconds: filters and order compare what they see.
      return Math.floor(record.timestamp / 1000) * 1000;
    case 'EVENT_NAME':
      return record.eventName;
    case 'MESSAGE_ID':
      return record.messageId;
    case 'PROCESS_ID':
      return record.processId;
    case 'ERROR':
      return record.error ? 1 : 0;
  }
}

export function matchesFilter(record: JournalRecord, filter: readonly FilterCondition[]): boolean {
  return filter.every(({ field, op, values }) => {
    const actual = fieldValue(record, field);
    switch (op) {
      case '=':
        return values.some((v) => actual === v);
      case '!=':
        return values.every((v) => actual !== v);
      case '<':
        return actual < values[0]!;
      case '<=':
        return actual <= values[0]!;
      case '>':
        return actual > values[0]!;
      case '>=':
        return actual >= values[0]!;
    }
  });
}

export function compareRecords(order: readonly OrderTerm[]): (a: JournalRecord, b: JournalRecord) => number {
  return (a, b) => {
    for (const { field, direction } of order) {
      const x = fieldValue(a, field);
      const y = fieldValue(b, field);
      if (x !== y) return (x < y ? -1 : 1) * (direction === 'ASC' ? 1 : -1);
    }
    return 0;
  };
}

/** ISO 8601 with offset, as Bitrix prints TIMESTAMP_X (always UTC here). */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}
