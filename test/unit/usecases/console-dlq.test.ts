import type { DeliveryMessage } from '../../../lambdas/domain/ports';
import { deadLetters, redriveDeadLetters } from '../../../lambdas/usecases/console';
import { MemoryDeadLetterQueue, MemoryDeliveryQueue } from '../../support/memory';

const message = (bindingId: number): DeliveryMessage => ({
  memberId: 'a'.repeat(32),
  clientId: 'local.app',
  bindingId,
  event: 'ONCRMDEALADD',
  handler: 'https://example.test/h',
  userId: 1,
  data: { id: bindingId },
  ts: 1_700_000_000,
  attempt: 5,
  deliveryId: `msg_${bindingId}`,
});

/** The console's dead-letter page (usecases/console.ts) on the in-memory queue. */
describe('console dead-letter queue', () => {
  it('shows depth and messages without consuming them, redrives the chosen one then all, with attempt 1 and the same delivery id', async () => {
    const queue = new MemoryDeliveryQueue();
    const dlq = new MemoryDeadLetterQueue(queue);
    await queue.park(message(1), '5 attempts failed; last: HTTP 500');
    await queue.park(message(2), '5 attempts failed; last: timeout');
    const operator = { role: 'operator' as const };

    const page = await deadLetters(dlq, operator);
    expect(page.depth).toBe(2);
    expect(page.messages.map((m) => [m.message?.deliveryId, m.reason])).toEqual([
      ['msg_1', '5 attempts failed; last: HTTP 500'],
      ['msg_2', '5 attempts failed; last: timeout'],
    ]);
    expect((await deadLetters(dlq, operator)).depth).toBe(2); // peeking consumed nothing

    const second = page.messages[1]!.messageId;
    expect(await redriveDeadLetters(dlq, operator, [second])).toEqual({ redriven: [second] });
    expect(queue.messages.map((m) => [m.deliveryId, m.attempt])).toEqual([['msg_2', 1]]);
    expect((await deadLetters(dlq, operator)).messages.map((m) => m.message?.deliveryId)).toEqual(['msg_1']);

    expect((await redriveDeadLetters(dlq, operator)).redriven).toHaveLength(1);
    expect(queue.messages.map((m) => m.deliveryId)).toEqual(['msg_2', 'msg_1']);
    expect(await deadLetters(dlq, operator)).toEqual({ depth: 0, messages: [] });
    expect(await redriveDeadLetters(dlq, operator, [])).toEqual({ redriven: [] });
  });

  it('refuses an application session (ACCESS_DENIED) and leaves the queue alone', async () => {
    const queue = new MemoryDeliveryQueue();
    const dlq = new MemoryDeadLetterQueue(queue);
    await queue.park(message(1), 'x');
    const app = { role: 'application' as const, memberId: 'a'.repeat(32), clientId: 'local.app' };
    await expect(deadLetters(dlq, app)).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    await expect(redriveDeadLetters(dlq, app)).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    expect(queue.parked).toHaveLength(1);
    expect(queue.queued).toHaveLength(0);
  });
});
