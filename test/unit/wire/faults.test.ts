import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { documentClient } from '../../../lambdas/adapters/dynamo/client';
import { RegistryRepository } from '../../../lambdas/adapters/dynamo/registry-repository';
import { rateLimiter, registryStore } from '../../../lambdas/composition';
import { config } from '../../../lambdas/config';
import { method as eventGet } from '../../../lambdas/methods/event-get';
import { httpStatus, toBitrixError } from '../../../lambdas/wire/response';
import { methodSet, runRestCall } from '../../../lambdas/wire/rest-method';

/** `event.get` through the real REST front, built as its function builds it. */
const callEventGet = () => {
  const cfg = config();
  return runRestCall(eventGet, { config: cfg, registry: registryStore(cfg), rateLimiter: rateLimiter(cfg) }, methodSet([eventGet], () => cfg), event());
};

/**
 * Fault injection where no local service can fail on demand: DynamoDB answers mocked with
 * aws-sdk-client-mock (throttling, timeouts, dropped connections, conditional failures) behind
 * a real handler, and the SDK's own retries against a fake endpoint that throttles.
 */
const event = (): APIGatewayProxyEventV2 =>
  ({
    version: '2.0',
    routeKey: 'ANY /rest/{proxy+}',
    rawPath: '/rest/event.get',
    rawQueryString: `auth=${'a'.repeat(32)}`,
    queryStringParameters: { auth: 'a'.repeat(32) },
    headers: {},
    pathParameters: { proxy: 'event.get' },
    requestContext: { http: { method: 'POST', path: '/rest/event.get', sourceIp: '127.0.0.1' }, requestId: 'r', timeEpoch: Date.now() },
    isBase64Encoded: false,
  }) as unknown as APIGatewayProxyEventV2;

const fault = (name: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(`${name} (injected)`), { name, $fault: 'server', $metadata: { attempts: 5 }, ...extra });

describe('REST calls when DynamoDB fails', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  afterEach(() => ddb.reset());
  afterAll(() => ddb.restore());

  it.each([
    ['throttled past the SDK retries', fault('ProvisionedThroughputExceededException')],
    ['request throttled', fault('ThrottlingException')],
    ['timed out', fault('TimeoutError')],
    ['connection reset', fault('Error', { code: 'ECONNRESET' })],
    ['connection refused', fault('Error', { code: 'ECONNREFUSED' })],
    ['transaction conflict', fault('TransactionConflictException')],
  ])('answers 503 QUERY_LIMIT_EXCEEDED, never 500, when the store is %s', async (_, error) => {
    ddb.on(GetCommand).rejects(error);
    ddb.on(QueryCommand).rejects(error);
    const answer = await callEventGet();
    expect(answer.statusCode).toBe(503);
    expect(JSON.parse(answer.body!)).toMatchObject({ error: 'QUERY_LIMIT_EXCEEDED' });
  });

  it('says so when an offline queue has reached the 10 GB of its index partition', () => {
    const mapped = toBitrixError(fault('ItemCollectionSizeLimitExceededException'));
    expect(mapped.error).toMatchObject({ code: 'QUERY_LIMIT_EXCEEDED' });
    expect(httpStatus(mapped.error)).toBe(503);
    expect(mapped.error.description).toMatch(/queue of this application is full/);
  });

  it('answers a bare 500 without details for a failure it does not know', async () => {
    ddb.on(GetCommand).rejects(Object.assign(new Error('secret table name arn:aws:dynamodb:…'), { name: 'SomethingNew' }));
    const answer = await callEventGet();
    expect(answer.statusCode).toBe(500);
    expect(JSON.parse(answer.body!)).toEqual({ error: 'INTERNAL_SERVER_ERROR', error_description: 'Internal server error' });
  });

  it('keeps a conditional failure a domain outcome: a repository turns it into its answer, not an error', async () => {
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    const { DynamoRateLimiter } = await import('../../../lambdas/adapters/dynamo/rate-limiter');
    const limiter = new DynamoRateLimiter(DynamoDBDocumentClient.from(documentClient({ region: 'us-east-1' })), 't', { perSecond: 1, burst: 5 });
    await expect(limiter.admit('m', 'c', 1, Date.now())).resolves.toBe(false);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(3);
    expect(httpStatus(toBitrixError(new ConditionalCheckFailedException({ message: 'x', $metadata: {} })).error)).toBe(500);
  });
});

describe('the SDK retries throttling with backoff (documentClient: 5 attempts)', () => {
  let server: Server;
  let endpoint: string;
  let requests = 0;
  let throttleFirst = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        requests++;
        if (requests <= throttleFirst) {
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException', message: 'Rate of requests exceeds the allowed throughput.' }));
        } else {
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}');
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    requests = 0;
  });

  it('a read throttled twice succeeds on the third attempt', async () => {
    throttleFirst = 2;
    const registry = new RegistryRepository(documentClient({ region: 'us-east-1', endpoint }), 'registry');
    await expect(registry.getPortal('0'.repeat(32))).resolves.toBeUndefined();
    expect(requests).toBe(3);
  });

  it('a read throttled every time gives up after 5 attempts and maps to 503', async () => {
    throttleFirst = 1000;
    const registry = new RegistryRepository(documentClient({ region: 'us-east-1', endpoint }), 'registry');
    const failure = await registry.getPortal('0'.repeat(32)).catch((e: unknown) => e);
    expect(requests).toBe(5);
    expect((failure as Error).name).toBe('ThrottlingException');
    expect(toBitrixError(failure).error).toMatchObject({ code: 'QUERY_LIMIT_EXCEEDED' });
    expect(httpStatus(toBitrixError(failure).error)).toBe(503);
  });
});
