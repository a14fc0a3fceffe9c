import fc from 'fast-check';
import { composeId, ID_EPOCH_MS, idTime, TICK_MS } from '../../../lambdas/domain/ids';
import { GET_FIELDS, parseFilter, parseOrder } from '../../../lambdas/domain/journal';
import type { JournalRecord } from '../../../lambdas/domain/model';
import { firstInOrder, keysOnlyWalk, readPlan, type PendingReader, type PendingWalk } from '../../../lambdas/domain/pending-selection';
import { filterArbitrary, modelFilter, modelOrder, orderArbitrary } from '../../support/queue-model';

/** An in-memory journal walk, paged as the repository pages, counting what it reads. */
function memoryReader(records: readonly JournalRecord[]): { read: PendingReader; count: () => number } {
  let count = 0;
  const read: PendingReader = async function* (walk: PendingWalk, pageSize: () => number) {
    const sorted = [...records]
      .filter((r) => walk.by !== 'id' || ((walk.fromId ?? 0) <= r.id && r.id <= (walk.toId ?? Infinity)))
      .sort((a, b) => (walk.by === 'id' ? a.id - b.id : a.messageId < b.messageId ? -1 : 1) * (walk.descending ? -1 : 1));
    for (let i = 0; i < sorted.length; ) {
      const page = sorted.slice(i, i + pageSize());
      i += page.length;
      count += page.length;
      yield page;
    }
  };
  return { read, count: () => count };
}

const START = Date.UTC(2026, 10, 23, 12);

/**
 * A queue as the journal keeps it: IDs allocated over time (many in one second), and each
 * record's TIMESTAMP_X at or after its ID's time (later when it was merged).
 */
const queueArbitrary = fc
  .array(
    fc.record({
      gap: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 100, max: 3000 })),
      mergedAfter: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 8000 }) }),
      event: fc.constantFrom('ONCRMDEALADD', 'ONCRMDEALUPDATE', 'ONTASKADD'),
    }),
    { maxLength: 60 },
  )
  .map((specs) => {
    let at = START;
    return specs.map(({ gap, mergedAfter, event }, index): JournalRecord => {
      at += gap;
      const id = composeId(Math.floor((at - ID_EPOCH_MS) / TICK_MS), 3, index % 64) + Math.floor(index / 64) * 64 * 1024;
      return {
        id,
        timestamp: idTime(id) + mergedAfter,
        eventName: event,
        eventData: { n: index },
        eventAdditional: {},
        messageId: index.toString(16).padStart(32, 'c'),
        processId: '',
        error: false,
      };
    });
  });

describe('firstInOrder: choosing a claim batch', () => {
  it('returns exactly the model’s first `want` matching records, for any queue, filter, order and want', async () => {
    await fc.assert(
      fc.asyncProperty(
        queueArbitrary.chain((records) => fc.tuple(fc.constant(records), filterArbitrary(records), orderArbitrary, fc.integer({ min: 1, max: 70 }))),
        async ([records, filter, order, want]) => {
          const expected = modelOrder(modelFilter(records, filter), order).slice(0, want);
          const got = await firstInOrder(memoryReader(records).read, parseFilter(filter, GET_FIELDS), parseOrder(order, GET_FIELDS, [{ field: 'TIMESTAMP_X', direction: 'ASC' }]), want);
          expect(got.map((r) => r.id)).toEqual(expected.map((r) => r.id));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('reads about one batch from the head of a long queue in the default order, and all of it when it must', async () => {
    const records = Array.from({ length: 2000 }, (_, i): JournalRecord => {
      const id = composeId(Math.floor((START + i * 7 - ID_EPOCH_MS) / TICK_MS), 1, i % 64);
      return { id, timestamp: idTime(id), eventName: 'E', eventData: i, eventAdditional: {}, messageId: i.toString(16).padStart(32, '0'), processId: '', error: false };
    });
    const byTime = memoryReader(records);
    const batch = await firstInOrder(byTime.read, [], parseOrder(undefined, GET_FIELDS, [{ field: 'TIMESTAMP_X', direction: 'ASC' }]), 50);
    expect(batch.map((r) => r.id)).toEqual(records.slice(0, 50).map((r) => r.id));
    expect(byTime.count()).toBe(51);

    const byIdRange = memoryReader(records);
    await firstInOrder(byIdRange.read, parseFilter({ '>ID': String(records[1500]!.id) }, GET_FIELDS), parseOrder({ ID: 'ASC' }, GET_FIELDS, []), 50);
    expect(byIdRange.count()).toBe(51);

    const byName = memoryReader(records);
    await firstInOrder(byName.read, [], parseOrder({ EVENT_NAME: 'ASC' }, GET_FIELDS, []), 50);
    expect(byName.count()).toBe(2000);
  });

  it('plans the walk from the order’s first term and the filter’s ID range', () => {
    const plan = (order: Record<string, string>, filter: Record<string, string> = {}) =>
      readPlan(parseOrder(order, GET_FIELDS, [{ field: 'TIMESTAMP_X', direction: 'ASC' }]), parseFilter(filter, GET_FIELDS)).walk;
    expect(plan({})).toEqual({ by: 'id', descending: false });
    expect(plan({ ID: 'DESC' }, { '>=ID': '10', '<ID': '20' })).toEqual({ by: 'id', descending: true, fromId: 10, toId: 19 });
    expect(plan({ ID: 'ASC' }, { ID: '7' })).toEqual({ by: 'id', descending: false, fromId: 7, toId: 7 });
    expect(plan({ MESSAGE_ID: 'DESC' })).toEqual({ by: 'messageId', descending: true });
    expect(plan({ TIMESTAMP_X: 'DESC' })).toEqual({ by: 'id', descending: false });
  });
});

describe('keysOnlyWalk: when a contended round may choose from keys alone', () => {
  const walk = (order: string | undefined, filter: Record<string, unknown> | undefined) =>
    keysOnlyWalk(parseOrder(order ? JSON.parse(order) : undefined, GET_FIELDS, [{ field: 'TIMESTAMP_X', direction: 'ASC' }]), parseFilter(filter, GET_FIELDS));

  it('walks by ID for the default order, ID either way, and ID ranges', () => {
    expect(walk(undefined, undefined)).toEqual({ by: 'id', descending: false });
    expect(walk('{"ID":"DESC"}', undefined)).toEqual({ by: 'id', descending: true });
    expect(walk(undefined, { '>=ID': 10, '<ID': 20 })).toEqual({ by: 'id', descending: false, fromId: 10, toId: 19 });
    expect(walk(undefined, { ID: 7 })).toEqual({ by: 'id', descending: false, fromId: 7, toId: 7 });
  });

  it('needs the records for any other filter or order', () => {
    expect(walk(undefined, { EVENT_NAME: 'ONCRMDEALADD' })).toBeUndefined();
    expect(walk(undefined, { ID: [1, 9] })).toBeUndefined(); // "any of" is not a range
    expect(walk(undefined, { '!ID': 3 })).toBeUndefined();
    expect(walk('{"TIMESTAMP_X":"DESC"}', undefined)).toBeUndefined();
    expect(walk('{"EVENT_NAME":"ASC"}', undefined)).toBeUndefined();
    expect(walk('{"MESSAGE_ID":"ASC"}', undefined)).toBeUndefined();
  });
});
