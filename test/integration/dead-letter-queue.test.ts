import { ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { SqsDeadLetterQueue } from '../../lambdas/adapters/sqs/dead-letter-queue';
import { SqsDeliveryQueue } from '../../lambdas/adapters/sqs/delivery-queue';
import type { DeliveryMessage } from '../../lambdas/domain/ports';
import { sqsClient } from '../../lambdas/composition';
import { newTestQueue } from '../support/sqs-queues';

let sqs: SQSClient;
beforeAll(() => {
  sqs = sqsClient({ AWS_REGION: 'us-east-1', SQS_ENDPOINT: process.env.SQS_ENDPOINT! });
});
afterAll(() => sqs.destroy());

const newQueue = (): Promise<string> => newTestQueue(sqs);

async function receiveAll(queueUrl: string, expected: number): Promise<DeliveryMessage[]> {
  const got: DeliveryMessage[] = [];
  for (let i = 0; i < 20 && got.length < expected; i++) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    got.push(...Messages.map((m) => JSON.parse(m.Body!) as DeliveryMessage));
  }
  return got;
}

const message = (i: number): DeliveryMessage => ({ memberId: 'm', clientId: 'c', bindingId: i, event: 'ONCRMDEALADD', handler: 'https://h.example.com/', userId: 0, data: { i }, ts: 1, attempt: 5, deliveryId: `msg_${i}` });

describe('SqsDeadLetterQueue on the SQS emulator', () => {
  it('counts and peeks without consuming, redrives one by message id then the rest, with attempt 1 and the same delivery id', async () => {
    const queueUrl = await newQueue();
    const deadLetterUrl = await newQueue();
    const deliveries = new SqsDeliveryQueue(sqs, queueUrl, deadLetterUrl);
    const dlq = new SqsDeadLetterQueue(sqs, deadLetterUrl, deliveries);
    for (const i of [1, 2, 3]) await deliveries.park(message(i), `5 attempts failed; last: HTTP 50${i}`);
    // Not a delivery: shown raw, never redriven.
    await sqs.send(new SendMessageCommand({ QueueUrl: deadLetterUrl, MessageBody: 'not json' }));

    expect(await dlq.depth()).toBe(4);
    const peeked = await dlq.peek(10);
    expect(peeked).toHaveLength(4);
    const two = peeked.find((p) => p.message?.deliveryId === 'msg_2')!;
    expect(two).toMatchObject({ reason: '5 attempts failed; last: HTTP 502', message: { bindingId: 2, attempt: 5 } });
    expect(two.sentAt).toBeGreaterThan(Date.now() - 60_000);
    expect(peeked.find((p) => !p.message)).toMatchObject({ body: 'not json' });
    expect(await dlq.depth()).toBe(4); // peek consumed nothing
    expect(await dlq.peek(10)).toHaveLength(4);

    expect(await dlq.redrive([two.messageId])).toEqual([two.messageId]);
    expect(await receiveAll(queueUrl, 1)).toEqual([expect.objectContaining({ deliveryId: 'msg_2', attempt: 1 })]);
    // The others were made visible again at once.
    expect((await dlq.peek(10)).map((p) => p.message?.deliveryId ?? null).sort()).toEqual(['msg_1', 'msg_3', null].sort());

    expect(await dlq.redrive()).toHaveLength(2);
    expect((await receiveAll(queueUrl, 2)).map((m) => [m.deliveryId, m.attempt]).sort()).toEqual([['msg_1', 1], ['msg_3', 1]]);
    expect((await dlq.peek(10)).map((p) => p.body)).toEqual(['not json']);
    expect(await dlq.depth()).toBe(1);
  });
});
