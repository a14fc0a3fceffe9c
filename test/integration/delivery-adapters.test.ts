import { randomBytes } from 'node:crypto';
import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { BatchWriteCommand, type BatchWriteCommandInput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeliveryLogRepository } from '../../lambdas/adapters/dynamo/delivery-log-repository';
import { HttpHandlerSender } from '../../lambdas/adapters/http/handler-sender';
import { SqsDeliveryQueue } from '../../lambdas/adapters/sqs/delivery-queue';
import type { DeliveryAttempt, DeliveryMessage } from '../../lambdas/domain/ports';
import { sqsClient } from '../../lambdas/composition';
import { newTestQueue } from '../support/sqs-queues';
import { startSink, type Sink } from '../support/sink';
import { wiring } from '../support/wiring';

let sqs: SQSClient;
beforeAll(() => {
  sqs = sqsClient({ AWS_REGION: 'us-east-1', SQS_ENDPOINT: process.env.SQS_ENDPOINT! });
});
afterAll(() => sqs.destroy());

const newQueue = (): Promise<string> => newTestQueue(sqs);

async function receiveAll(queueUrl: string, expected: number): Promise<{ body: DeliveryMessage; attributes: Record<string, string> }[]> {
  const got: { body: DeliveryMessage; attributes: Record<string, string> }[] = [];
  for (let i = 0; i < 20 && got.length < expected; i++) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }));
    got.push(...Messages.map((m) => ({ body: JSON.parse(m.Body!) as DeliveryMessage, attributes: Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue ?? ''])) })));
  }
  return got;
}

const message = (i: number): DeliveryMessage => ({ memberId: 'm', clientId: 'c', bindingId: i, event: 'ONCRMDEALADD', handler: 'https://h.example.com/', userId: 0, data: { i }, ts: 1 });

describe('SqsDeliveryQueue on the SQS emulator', () => {
  it('sends each message with MessageGroupId = the portal (SQS fair queues, docs/operations.md)', async () => {
    const queueUrl = await newQueue();
    await new SqsDeliveryQueue(sqs, queueUrl, queueUrl).enqueue([{ ...message(1), memberId: 'portal-a' }, { ...message(2), memberId: 'portal-b' }]);
    const got: Record<string, string> = {};
    for (let i = 0; i < 20 && Object.keys(got).length < 2; i++) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, AttributeNames: ['All'] }));
      for (const m of Messages) got[(JSON.parse(m.Body!) as DeliveryMessage).memberId] = m.Attributes?.MessageGroupId ?? '';
    }
    expect(got).toEqual({ 'portal-a': 'portal-a', 'portal-b': 'portal-b' });
  });

  it('sends 10 messages per SendMessageBatch and stamps each with attempt 1 and a delivery id', async () => {
    const queueUrl = await newQueue();
    let batches = 0;
    sqs.middlewareStack.add((next, context) => async (args) => {
      if (context.commandName === 'SendMessageBatchCommand') batches++;
      return next(args);
    }, { step: 'initialize', name: 'count-batches' });
    try {
      await new SqsDeliveryQueue(sqs, queueUrl, queueUrl).enqueue(Array.from({ length: 25 }, (_, i) => message(i)));
    } finally {
      sqs.middlewareStack.remove('count-batches');
    }
    expect(batches).toBe(3);
    const got = await receiveAll(queueUrl, 25);
    expect(got.map((m) => m.body.bindingId).sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(new Set(got.map((m) => m.body.deliveryId)).size).toBe(25);
    expect(got.every((m) => m.body.attempt === 1 && /^msg_/.test(m.body.deliveryId!))).toBe(true);
  });

  it('delays a message when asked, and parks one in the dead-letter queue with the reason', async () => {
    const queueUrl = await newQueue();
    const deadLetterUrl = await newQueue();
    const queue = new SqsDeliveryQueue(sqs, queueUrl, deadLetterUrl);
    await queue.enqueue([message(1)], 2);
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0 }))).Messages ?? []).toHaveLength(0);
    expect((await receiveAll(queueUrl, 1)).map((m) => m.body.bindingId)).toEqual([1]);

    await queue.park({ ...message(2), attempt: 3 }, '3 attempts failed; last: HTTP 500');
    const [parked] = await receiveAll(deadLetterUrl, 1);
    expect(parked).toMatchObject({ body: { bindingId: 2, attempt: 3 }, attributes: { reason: '3 attempts failed; last: HTTP 500' } });
  });
});

describe('HttpHandlerSender', () => {
  let ok: Sink;
  beforeAll(async () => {
    ok = await startSink();
  });
  afterAll(() => ok.close());

  it('POSTs the body with its headers and reports status and latency', async () => {
    const response = await new HttpHandlerSender(true).post(`${ok.url}/hook`, 'a=1', { 'content-type': 'application/x-www-form-urlencoded', 'webhook-id': 'msg_1' }, 5000);
    expect(response).toMatchObject({ status: 200 });
    expect(response.error).toBeUndefined();
    const [got] = await ok.waitFor(1);
    expect(got!.body).toBe('a=1');
    expect(got!.headers['webhook-id']).toBe('msg_1');
  });

  it('counts a non-2xx answer, a redirect and a timeout as failures, and never follows the redirect', async () => {
    const failing = await startSink({ status: 500 });
    const redirecting = await startSink({ status: 302, headers: { location: `${ok.url}/elsewhere` } });
    const slow = await startSink({ delayMs: 1500 });
    try {
      const sender = new HttpHandlerSender(true);
      expect(await sender.post(failing.url, '', {}, 5000)).toMatchObject({ status: 500, error: 'HTTP 500' });
      const before = ok.received.length;
      expect(await sender.post(redirecting.url, '', {}, 5000)).toMatchObject({ status: 302, error: expect.stringContaining('not followed') });
      expect(ok.received.length).toBe(before);
      expect(await sender.post(slow.url, '', {}, 300)).toMatchObject({ status: 0, error: 'timed out after 300 ms' });
    } finally {
      await Promise.all([failing.close(), redirecting.close(), slow.close()]);
    }
  });

  it('refuses loopback and private targets when the guard is on: IP literals, IPv6, and names that resolve to them', async () => {
    const v6 = await startSink({ host: '::1' });
    try {
      const guarded = new HttpHandlerSender(false);
      const before = ok.received.length;
      for (const url of [ok.url, `http://localhost:${ok.port}/`, `http://[::1]:${v6.port}/`, `http://[::ffff:127.0.0.1]:${ok.port}/`, 'http://169.254.169.254/latest/meta-data/']) {
        const response = await guarded.post(url, 'x', {}, 2000);
        expect(response.status).toBe(0);
        expect(response.error).toMatch(/^refused: .*(loopback|metadata)/);
      }
      // A public-looking name whose DNS answer is private (rebinding): refused at connect time.
      const rebinding = new HttpHandlerSender(false, (_host, callback) => callback(null, [{ address: '10.0.0.8', family: 4 }]));
      expect((await rebinding.post('http://hooks.example.com/', 'x', {}, 2000)).error).toBe('refused: hooks.example.com: 10.0.0.8 is in the private range');
      expect(ok.received.length).toBe(before);
      expect(v6.received).toHaveLength(0);
      // With the guard off (local runtime), loopback is fine, IPv6 too.
      expect((await new HttpHandlerSender(true).post(`http://[::1]:${v6.port}/`, 'x', {}, 2000)).status).toBe(200);
    } finally {
      await v6.close();
    }
  });
});

describe('DeliveryLogRepository batch writes under injected unprocessed items', () => {
  /**
   * DynamoDB Local never leaves items unprocessed; this client does what a throttled table
   * does: it writes only the first `keep` items of each of the first `rounds` BatchWriteItem
   * calls and hands the rest back as UnprocessedItems.
   */
  function throttled(db: DynamoDBDocumentClient, rounds: number, keep: number): { client: DynamoDBDocumentClient; calls: number[] } {
    const calls: number[] = [];
    const send = async (command: unknown) => {
      if (!(command instanceof BatchWriteCommand)) return db.send(command as never);
      const [table, requests] = Object.entries(command.input.RequestItems!)[0] as [string, NonNullable<BatchWriteCommandInput['RequestItems']>[string]];
      calls.push(requests.length);
      if (calls.length > rounds) return db.send(command);
      if (keep > 0) await db.send(new BatchWriteCommand({ RequestItems: { [table]: requests.slice(0, keep) } }));
      return { UnprocessedItems: { [table]: requests.slice(keep) } };
    };
    return { client: { send } as unknown as DynamoDBDocumentClient, calls };
  }

  const attempts = (memberId: string, n: number): DeliveryAttempt[] =>
    Array.from({ length: n }, (_, i) => ({ memberId, clientId: 'app', bindingId: i, event: 'ONCRMDEALADD', handler: 'https://h.example.com/', deliveryId: `msg_${i}`, attempt: 1, status: 200, latencyMs: 3, ok: true, at: 1_000_000 + i }));

  it('sends unprocessed items again until every attempt is stored, once each', async () => {
    const w = wiring();
    const { client, calls } = throttled(w.db, 3, 4);
    const memberId = randomBytes(16).toString('hex');
    const batch = attempts(memberId, 10);

    await new DeliveryLogRepository(client, w.config.TABLE_DELIVERIES, 3600).recordAttempts(batch);

    expect(calls).toEqual([10, 6, 2]);
    const stored = await new DeliveryLogRepository(w.db, w.config.TABLE_DELIVERIES, 3600).listAttempts(memberId, 'app', 100);
    expect(stored.map((a) => a.deliveryId).sort()).toEqual(batch.map((a) => a.deliveryId).sort());
  });

  it('gives up with an error when items stay unprocessed, after its retries', async () => {
    const w = wiring();
    const { client, calls } = throttled(w.db, 100, 0);
    await expect(new DeliveryLogRepository(client, w.config.TABLE_DELIVERIES, 3600).recordAttempts(attempts(randomBytes(16).toString('hex'), 3))).rejects.toThrow(
      '3 attempt records left unprocessed after 8 retries',
    );
    expect(calls).toHaveLength(9);
  });
});
