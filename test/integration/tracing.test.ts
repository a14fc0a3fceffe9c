import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { documentClient } from '../../lambdas/adapters/dynamo/client';
import { SqsDeliveryQueue } from '../../lambdas/adapters/sqs/delivery-queue';
import { parseTraceHeader, traceHeader, withTraceHeader } from '../../lambdas/adapters/tracing';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { sqsClient } from '../../lambdas/composition';
import type { DeliveryMessage } from '../../lambdas/domain/ports';

/**
 * Tracing without the X-Ray SDK (lambdas/adapters/tracing.ts), against DynamoDB Local, the SQS
 * emulator and a UDP socket standing in for Lambda's X-Ray daemon.
 */
const ROOT = '1-6750a1b2-0123456789abcdef01234567';
const HEADER = `Root=${ROOT};Parent=53995c3f42cd8ad8;Sampled=1`;
let daemon: Socket;
const datagrams: string[] = [];

beforeAll(async () => {
  daemon = createSocket('udp4');
  daemon.on('message', (m) => datagrams.push(m.toString()));
  await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
  process.env.AWS_XRAY_DAEMON_ADDRESS = `127.0.0.1:${(daemon.address() as AddressInfo).port}`;
});
afterAll(() => {
  delete process.env.AWS_XRAY_DAEMON_ADDRESS;
  daemon.close();
});

const received = async (count: number) => {
  for (let i = 0; i < 50 && datagrams.length < count; i++) await new Promise((r) => setTimeout(r, 20));
  return datagrams.splice(0).map((d) => JSON.parse(d.split('\n')[1]!) as Record<string, unknown>);
};

describe('tracing', () => {
  it('reads a Lambda trace header', () => {
    expect(parseTraceHeader(HEADER)).toEqual({ root: ROOT, parent: '53995c3f42cd8ad8', sampled: true });
    expect(parseTraceHeader('Root=1-a-b;Sampled=0')).toEqual({ root: '1-a-b', sampled: false });
    expect(parseTraceHeader(undefined)).toBeUndefined();
    expect(parseTraceHeader('Sampled=1')).toBeUndefined();
  });

  it('records a DynamoDB call as a subsegment of the current trace, sent to the daemon', async () => {
    const db = documentClient({ region: 'us-east-1', endpoint: process.env.DYNAMODB_ENDPOINT! });
    await withTraceHeader(HEADER, () => db.send(new GetCommand({ TableName: process.env.TABLE_REGISTRY!, Key: { pk: 'PORTAL#none', sk: 'PORTAL' } })));
    const [segment] = await received(1);
    expect(segment).toMatchObject({
      type: 'subsegment',
      trace_id: ROOT,
      parent_id: '53995c3f42cd8ad8',
      name: 'DynamoDB',
      namespace: 'aws',
      aws: { operation: 'GetItem', table_name: process.env.TABLE_REGISTRY },
      http: { response: { status: 200 } },
    });
    expect(segment!.end_time as number).toBeGreaterThanOrEqual(segment!.start_time as number);
  });

  it('sends nothing when the trace is not sampled or there is no trace', async () => {
    const db = documentClient({ region: 'us-east-1', endpoint: process.env.DYNAMODB_ENDPOINT! });
    await withTraceHeader(`Root=${ROOT};Parent=53995c3f42cd8ad8;Sampled=0`, () => db.send(new GetCommand({ TableName: process.env.TABLE_REGISTRY!, Key: { pk: 'PORTAL#none', sk: 'PORTAL' } })));
    await db.send(new GetCommand({ TableName: process.env.TABLE_REGISTRY!, Key: { pk: 'PORTAL#none', sk: 'PORTAL' } }));
    await new Promise((r) => setTimeout(r, 200));
    expect(datagrams).toEqual([]);
  });

  it('keeps each piece of work in its own trace, and the queued delivery carries it (AWSTraceHeader)', async () => {
    const other = `Root=1-6750a1b2-fedcba9876543210fedcba98;Parent=1111111111111111;Sampled=1`;
    const seen = await Promise.all([withTraceHeader(HEADER, async () => traceHeader()), withTraceHeader(other, async () => traceHeader())]);
    expect(seen).toEqual([HEADER, other]);

    const sqs = sqsClient({ AWS_REGION: 'us-east-1', SQS_ENDPOINT: process.env.SQS_ENDPOINT! });
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `tracing-${Date.now()}` }));
    // The emulator accepts system attributes but does not return them: read what the SDK sent.
    const sent: unknown[] = [];
    sqs.middlewareStack.add((next) => async (args) => (sent.push((args as { input: unknown }).input), next(args)), { step: 'initialize', name: 'capture' });
    const message: DeliveryMessage = { memberId: 'a'.repeat(32), clientId: 'local.app', bindingId: 1, event: 'ONCRMDEALADD', handler: 'https://h.example.com/', userId: 0, data: {}, ts: 1 };
    await withTraceHeader(HEADER, () => new SqsDeliveryQueue(sqs, QueueUrl!, QueueUrl!).enqueue([message]));
    expect(sent).toEqual([expect.objectContaining({ Entries: [expect.objectContaining({ MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: HEADER } } })] })]);
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    expect(Messages.map((m) => JSON.parse(m.Body!).event)).toEqual(['ONCRMDEALADD']);
    datagrams.splice(0);
  });
});
