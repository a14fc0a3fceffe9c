import fc from 'fast-check';
import { BitrixError } from '../../../lambdas/domain/errors';
import {
  compareRecords,
  formatTimestamp,
  GET_FIELDS,
  LIST_FIELDS,
  matchesFilter,
  messageIdOf,
  parseFilter,
  parseOrder,
  parseTimestamp,
} from '../../../lambdas/domain/journal';
import type { JournalRecord } from '../../../lambdas/domain/model';
import { wireListedRecord } from '../../../lambdas/wire/shapes';

const record = (over: Partial<JournalRecord>): JournalRecord => ({
  id: 1,
  timestamp: Date.UTC(2026, 0, 1),
  eventName: 'ONCRMDEALUPDATE',
  eventData: { FIELDS: { ID: 1 } },
  eventAdditional: { user_id: '1' },
  messageId: 'a'.repeat(32),
  processId: '',
  error: false,
  ...over,
});

describe('messageIdOf', () => {
  it('is md5 of EVENT_NAME|json(EVENT_DATA): the same object gives the same id', () => {
    const a = messageIdOf('ONCRMDEALUPDATE', { FIELDS: { ID: 7405 } });
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(messageIdOf('ONCRMDEALUPDATE', { FIELDS: { ID: 7405 } })).toBe(a);
    expect(messageIdOf('ONCRMDEALUPDATE', { FIELDS: { ID: 7406 } })).not.toBe(a);
    expect(messageIdOf('ONCRMDEALADD', { FIELDS: { ID: 7405 } })).not.toBe(a);
  });

  it("uses the producer's id when given (lower-cased)", () => {
    expect(messageIdOf('X', {}, 'ABCDEF0123456789ABCDEF0123456789')).toBe('abcdef0123456789abcdef0123456789');
  });
});

describe('parseFilter', () => {
  it('reads the operator written before the field; no operator means =', () => {
    expect(parseFilter({ '>=ID': '5', '!event_name': 'onCrmDealAdd', MESSAGE_ID: 'AB', '<TIMESTAMP_X': '2026-01-02T00:00:00+00:00' }, GET_FIELDS)).toEqual([
      { field: 'ID', op: '>=', values: [5] },
      { field: 'EVENT_NAME', op: '!=', values: ['ONCRMDEALADD'] },
      { field: 'MESSAGE_ID', op: '=', values: ['ab'] },
      { field: 'TIMESTAMP_X', op: '<', values: [Date.UTC(2026, 0, 2)] },
    ]);
  });

  it.each([
    [{ '~ID': 1 }, 'operation'],
    [{ PROCESS_ID: 'x' }, 'not supported'],
    [{ '>ID': 'abc' }, 'integer'],
    [{ '>TIMESTAMP_X': 'yesterday' }, 'date'],
    [{ '>ID': [1, 2] }, 'one value'],
    [[1, 2], 'object'],
  ])('refuses %j for event.offline.get with ERROR_ARGUMENT', (filter, words) => {
    let error: unknown;
    try {
      parseFilter(filter, GET_FIELDS);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BitrixError);
    expect((error as BitrixError).code).toBe('ERROR_ARGUMENT');
    expect((error as BitrixError).description).toContain(words);
  });

  it('accepts PROCESS_ID and ERROR for event.offline.list', () => {
    expect(parseFilter({ ERROR: 'Y', '!PROCESS_ID': '' }, LIST_FIELDS)).toEqual([
      { field: 'ERROR', op: '=', values: [1] },
      { field: 'PROCESS_ID', op: '!=', values: [''] },
    ]);
  });

  it('treats several values of = as "any of"', () => {
    const filter = parseFilter({ ID: ['1', '3'] }, GET_FIELDS);
    expect([1, 2, 3].map((id) => matchesFilter(record({ id }), filter))).toEqual([true, false, true]);
  });
});

describe('parseOrder', () => {
  it('defaults to the fallback and always breaks ties by ID ASC', () => {
    expect(parseOrder(undefined, GET_FIELDS, [{ field: 'TIMESTAMP_X', direction: 'ASC' }])).toEqual([
      { field: 'TIMESTAMP_X', direction: 'ASC' },
      { field: 'ID', direction: 'ASC' },
    ]);
    expect(parseOrder({ id: 'desc' }, GET_FIELDS, [])).toEqual([{ field: 'ID', direction: 'DESC' }]);
  });

  it('refuses unknown fields and directions', () => {
    expect(() => parseOrder({ DATA: 'ASC' }, GET_FIELDS, [])).toThrow(BitrixError);
    expect(() => parseOrder({ ID: 'UP' }, GET_FIELDS, [])).toThrow(BitrixError);
  });
});

describe('timestamps', () => {
  it('prints ISO 8601 with offset and reads it back, and reads Bitrix dates', () => {
    const ms = Date.UTC(2026, 10, 23, 20, 41, 0);
    expect(formatTimestamp(ms)).toBe('2026-11-23T20:41:00+00:00');
    expect(parseTimestamp(formatTimestamp(ms))).toBe(ms);
    expect(parseTimestamp('2026-11-23T23:41:00+03:00')).toBe(ms);
    expect(parseTimestamp('23.11.2026 20:41:00')).toBe(ms);
    expect(parseTimestamp('not a date')).toBeUndefined();
  });
});

describe('wireListedRecord (wire/shapes.ts)', () => {
  it('prints the Bitrix fields, IDs as strings and ERROR as "0"/"1"', () => {
    expect(wireListedRecord(record({ id: 42, error: true, processId: 'p' }))).toEqual({
      ID: '42',
      TIMESTAMP_X: '2026-01-01T00:00:00+00:00',
      EVENT_NAME: 'ONCRMDEALUPDATE',
      EVENT_DATA: { FIELDS: { ID: 1 } },
      EVENT_ADDITIONAL: { user_id: '1' },
      MESSAGE_ID: 'a'.repeat(32),
      PROCESS_ID: 'p',
      ERROR: '1',
    });
  });
});

describe('filter and order against a plain model', () => {
  const arbRecord = fc.record({
    id: fc.integer({ min: 1, max: 50 }),
    timestamp: fc.integer({ min: 0, max: 20 }),
    eventName: fc.constantFrom('ONCRMDEALADD', 'ONCRMDEALUPDATE'),
    error: fc.boolean(),
  });
  const arbCondition = fc.record({
    field: fc.constantFrom('ID', 'TIMESTAMP_X'),
    op: fc.constantFrom('=', '!', '!=', '<', '<=', '>', '>='),
    value: fc.integer({ min: 0, max: 50 }),
  });

  it('keeps exactly the records a direct comparison keeps, in a total order', () => {
    fc.assert(
      fc.property(fc.array(arbRecord, { maxLength: 30 }), fc.array(arbCondition, { maxLength: 3 }), fc.boolean(), (rows, conditions, desc) => {
        // Timestamps are whole seconds: the filter takes ISO 8601 dates.
        const records = rows.map((r, i) => record({ ...r, id: r.id * 100 + i, timestamp: r.timestamp * 1000 }));
        const raw: Record<string, number> = {};
        const wire: Record<string, string | number> = {};
        for (const c of conditions) {
          raw[`${c.op}${c.field}`] = c.field === 'ID' ? c.value : c.value * 1000;
          wire[`${c.op}${c.field}`] = c.field === 'ID' ? c.value : formatTimestamp(c.value * 1000);
        }
        const filter = parseFilter(wire, GET_FIELDS);
        const order = parseOrder({ TIMESTAMP_X: desc ? 'DESC' : 'ASC' }, GET_FIELDS, []);
        const got = records.filter((r) => matchesFilter(r, filter)).sort(compareRecords(order));

        const model = records
          .filter((r) =>
            Object.entries(raw).every(([key, v]) => {
              const [, op, field] = /^(>=|<=|!=|!|<|>|=)(.*)$/.exec(key)!;
              const x = field === 'ID' ? r.id : r.timestamp;
              return { '=': x === v, '!': x !== v, '!=': x !== v, '<': x < v, '<=': x <= v, '>': x > v, '>=': x >= v }[op!];
            }),
          )
          .sort((a, b) => (desc ? b.timestamp - a.timestamp : a.timestamp - b.timestamp) || a.id - b.id);
        expect(got.map((r) => r.id)).toEqual(model.map((r) => r.id));
      }),
    );
  });
});

describe('TIMESTAMP_X precision', () => {
  it('filters at the whole seconds clients see, so the printed value matches its own record', () => {
    const r = record({ timestamp: Date.UTC(2026, 10, 23, 21, 2, 19, 500) });
    const printed = formatTimestamp(r.timestamp);
    expect(printed).toBe('2026-11-23T21:02:19+00:00');
    expect(matchesFilter(r, parseFilter({ '<=TIMESTAMP_X': printed }, GET_FIELDS))).toBe(true);
    expect(matchesFilter(r, parseFilter({ TIMESTAMP_X: printed }, GET_FIELDS))).toBe(true);
    expect(matchesFilter(r, parseFilter({ '>TIMESTAMP_X': printed }, GET_FIELDS))).toBe(false);
  });
});
