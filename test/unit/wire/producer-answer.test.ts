import { errors } from '../../../lambdas/domain/errors';
import type { PublishResult } from '../../../lambdas/usecases/publish';
import { publishAnswer, publishResponse } from '../../../lambdas/wire/producer';
import { PUBLISH_RESULT } from '../../../lambdas/wire/shapes';

/** The producer's answer on the wire (docs/producer.md, "Partial failures"). */
const counts = { deliveries_queued: 2, notifications_queued: 0, records_created: 1, records_merged: 0, records_suppressed: 0, duplicates_skipped: 1 };

describe('the producer answer', () => {
  it('is 200 with the counts and an empty not_written when everything was written', () => {
    const response = publishResponse(publishAnswer({ ...counts, notWritten: [], ledgerErrors: [] }), 1000, 5);
    const body = JSON.parse(String(response.body)) as { result: unknown; time: unknown };
    expect(response.statusCode).toBe(200);
    expect(body.result).toEqual({ ...counts, not_written: [] });
    expect(PUBLISH_RESULT.safeParse(body.result).success).toBe(true);
  });

  it('is 503 QUERY_LIMIT_EXCEEDED listing each event and binding not written, with Bitrix codes for capacity, throttling and anything else', () => {
    const result: PublishResult = {
      ...counts,
      ledgerErrors: [],
      notWritten: [
        { index: 0, event: 'ONCRMDEALADD', messageId: 'a'.repeat(32), kind: 'record', bindingId: 3, clientId: 'local.1', connector: 'sync', error: Object.assign(new Error('full'), { name: 'ItemCollectionSizeLimitExceededException' }) },
        { index: 1, event: 'ONCRMDEALADD', kind: 'delivery', bindingId: 4, clientId: 'local.1', error: Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' }) },
        { index: 1, event: 'ONCRMDEALADD', kind: 'delivery', bindingId: 5, clientId: 'local.2', error: new Error('something broke') },
        { index: 2, event: 'ONCRMDEALADD', kind: 'delivery', bindingId: 4, clientId: 'local.1', error: errors.busy('message_id … is being published by another request') },
        { index: -1, event: 'ONOFFLINEEVENT', kind: 'notification', clientId: 'local.1', error: new Error('refused') },
      ],
    };
    const answer = publishAnswer(result);
    const response = publishResponse(answer, 1000, 5);
    const body = JSON.parse(String(response.body)) as { error: string; error_description: string; result: { not_written: Record<string, unknown>[] }; time: unknown };

    expect(response.statusCode).toBe(503);
    expect(body.error).toBe('QUERY_LIMIT_EXCEEDED');
    expect(body.error_description).toMatch(/^5 deliveries or journal writes .* were not made/);
    expect(body.time).toBeDefined();
    expect(PUBLISH_RESULT.safeParse(body.result).success).toBe(true);
    expect(body.result.not_written.map((n) => [n.index, n.type, n.binding_id, n.error])).toEqual([
      [0, 'record', 3, 'QUERY_LIMIT_EXCEEDED'],
      [1, 'delivery', 4, 'QUERY_LIMIT_EXCEEDED'],
      [1, 'delivery', 5, 'INTERNAL_SERVER_ERROR'],
      [2, 'delivery', 4, 'QUERY_LIMIT_EXCEEDED'],
      [undefined, 'notification', undefined, 'INTERNAL_SERVER_ERROR'],
    ]);
    expect(body.result.not_written[0]).toMatchObject({ message_id: 'a'.repeat(32), auth_connector: 'sync', client_id: 'local.1', error_description: expect.stringContaining('full (10 GB)') });
    // Capacity is a warning in the log, anything else an error.
    expect(answer.notWritten.map((n) => n.unexpected)).toEqual([false, false, true, false, true]);
  });
});
