import fc from 'fast-check';
import { messageIdOf } from '../../lambdas/domain/journal';
import { wireRecord } from '../../lambdas/wire/shapes';
import type { Caller, JournalRecord, QueueKey } from '../../lambdas/domain/model';
import { authenticate } from '../../lambdas/usecases/authenticate';
import { clearOffline, errorOffline, getOffline } from '../../lambdas/usecases/offline';
import { wiring } from '../support/wiring';
import { installUser, pendingRecords } from '../support/fixtures';
import { filterArbitrary, modelFilter, modelOrder, orderArbitrary } from '../support/queue-model';

/**
 * event.offline.get on DynamoDB Local against the plain model of the queue: for random
 * queues (with merges) and random sequences of calls, every batch is exactly the model's
 * first `limit` matching records in order, and the figures count what the model has left.
 */
const journal = () => wiring().journal;

const EVENTS = ['ONCRMDEALADD', 'ONCRMDEALUPDATE', 'ONTASKADD'];
const writesArbitrary = fc.array(fc.tuple(fc.nat(24), fc.constantFrom(...EVENTS), fc.nat(3)), { minLength: 1, maxLength: 40 });

const callArbitrary = (records: readonly JournalRecord[]) =>
  fc.record({
    filter: filterArbitrary(records),
    order: orderArbitrary,
    limit: fc.integer({ min: 1, max: 20 }),
    clear: fc.boolean(),
    afterwards: fc.constantFrom('clear' as const, 'error' as const, 'keep' as const),
  });

let caller: Caller;
beforeAll(async () => {
  const app = await installUser();
  caller = await authenticate(wiring().registry, { type: 'token', token: app.accessToken }, Math.floor(Date.now() / 1000));
});

describe('event.offline.get against a model of the queue (fast-check, DynamoDB Local)', () => {
  jest.setTimeout(240_000);

  it('claims exactly what the model says, call after call', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(writesArbitrary, fc.infiniteStream(fc.nat()), async (writes, seeds) => {
        const connector = `model-${run++}-${Date.now()}`;
        const queue: QueueKey = { memberId: caller.memberId, clientId: caller.clientId, connector };
        // Writes in order; the same object written again merges into its pending record.
        for (const [object, event, version] of writes) {
          const data = { FIELDS: { ID: object }, version };
          await journal().write(queue, [{ eventName: event, eventData: data, eventAdditional: {}, messageId: messageIdOf(event, { FIELDS: { ID: object } }) }], Date.now());
        }
        let pending = await pendingRecords(journal(), queue);
        let errors = 0;
        const seed = seeds.next().value as number;
        const calls = fc.sample(fc.array(callArbitrary(pending), { minLength: 1, maxLength: 4 }), { numRuns: 1, seed })[0]!;
        for (const call of calls) {
          const expected = modelOrder(modelFilter(pending, call.filter), call.order).slice(0, call.limit);
          const got = await getOffline(journal(), caller, { filter: call.filter, order: call.order, limit: call.limit, clear: call.clear, connector, error: false }, Date.now());
          expect(got.records.map(wireRecord)).toEqual(expected.map(wireRecord));
          const taken = new Set(expected.map((r) => r.id));
          pending = pending.filter((r) => !taken.has(r.id));
          expect(got.queue).toMatchObject({ pending: pending.length, pendingExact: true });

          if (!call.clear && expected.length > 0) {
            const processId = got.processId!;
            const reread = await getOffline(journal(), caller, { limit: 50, clear: false, processId, connector, error: false }, Date.now());
            expect(reread.records.map((r) => String(r.id)).sort()).toEqual(expected.map((r) => String(r.id)).sort());
            if (call.afterwards === 'clear') await clearOffline(journal(), caller, { processId, connector }, Date.now());
            if (call.afterwards === 'error') {
              await errorOffline(journal(), caller, { processId, messageIds: [expected[0]!.messageId], connector }, Date.now());
              errors++;
            }
          }
        }
        const errorRecords = await getOffline(journal(), caller, { limit: 50, clear: true, connector, error: true }, Date.now());
        expect(errorRecords.records).toHaveLength(errors);
        expect(await pendingRecords(journal(), queue)).toHaveLength(pending.length);
      }),
      { numRuns: 60 },
    );
  });
});
