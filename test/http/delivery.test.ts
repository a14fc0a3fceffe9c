import { randomBytes } from 'node:crypto';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import qs from 'qs';
import { Webhook } from 'standardwebhooks';
import type { DeliveryMessage } from '../../lambdas/domain/ports';
import { SqsDeliveryQueue } from '../../lambdas/adapters/sqs/delivery-queue';
import { deliver } from '../../lambdas/usecases/deliver';
import { uninstall } from '../../lambdas/usecases/installations';
import { DeliveryMemory } from '../../lambdas/usecases/delivery-memory';
import { wiring } from '../support/wiring';
import { startDeliveryHarness, type DeliveryHarness } from '../support/delivery-harness';
import { get, installUser, postForm, publishEvents, type InstalledUser, type TestServer } from '../support/fixtures';
import { startSink } from '../support/sink';

/**
 * Online delivery end to end (docs/delivery.md): the local HTTP front, publish, this file's own SQS
 * queue on the emulator, the delivery handler driven by the local poller as Lambda's event
 * source mapping would, and real HTTP handlers on loopback.
 */
let harness: DeliveryHarness;
let sqs: SQSClient;
let server: TestServer;
let deadLetterUrl: string;
let queueUrl: string;

beforeAll(async () => {
  harness = await startDeliveryHarness();
  ({ sqs, server, queueUrl, deadLetterUrl } = harness);
});

afterAll(() => harness.close());

const rest = (method: string, token: string) => `${server.url}/rest/${method}?auth=${token}`;

async function bindOnline(app: InstalledUser, event: string, handler: string, extra = ''): Promise<void> {
  const reply = await postForm(rest('event.bind', app.accessToken), `event=${event}&handler=${encodeURIComponent(handler)}${extra}`);
  expect(reply.body.result).toBe(true);
}

describe('online delivery through SQS and the delivery worker', () => {
  jest.setTimeout(60_000);

  it('POSTs the Bitrix payload as PHP reads it, signed, with a token that works against the REST API', async () => {
    const sink = await startSink();
    try {
      const app = await installUser();
      await bindOnline(app, 'ONCRMDEALADD', `${sink.url}/b24/handler.php`);
      const published = await publishEvents(server.url, app.memberId, [{ event: 'ONCRMDEALADD', data: { FIELDS: { ID: 7405 } }, user_id: 1 }]);
      expect(published.body.result).toMatchObject({ deliveries_queued: 1 });

      const [got] = await sink.waitFor(1);
      expect(got!.headers['content-type']).toBe('application/x-www-form-urlencoded');
      const form = qs.parse(got!.body) as Record<string, Record<string, string> & { FIELDS?: Record<string, string> }>;
      expect(form).toMatchObject({ event: 'ONCRMDEALADD', data: { FIELDS: { ID: '7405' } }, event_handler_id: expect.stringMatching(/^\d+$/) });
      expect(form.auth).toMatchObject({
        member_id: app.memberId,
        application_token: app.applicationToken,
        domain: `${app.memberId.slice(0, 8)}.example.com`,
        client_endpoint: 'http://127.0.0.1:3000/rest/',
        server_endpoint: 'http://127.0.0.1:3000/oauth/',
        status: 'L',
        user_id: '1',
        scope: 'crm,task,user',
        expires_in: '3600',
      });
      expect(form.auth!.refresh_token).toBeUndefined();

      // The signature verifies with the application's signing secret (Standard Webhooks).
      const signed = { 'webhook-id': String(got!.headers['webhook-id']), 'webhook-timestamp': String(got!.headers['webhook-timestamp']), 'webhook-signature': String(got!.headers['webhook-signature']) };
      expect(() => new Webhook(app.signingSecret).verify(got!.body, signed)).toThrow(SyntaxError); // signature checked, then the library's JSON.parse of a form body
      expect(() => new Webhook(app.signingSecret).verify(`${got!.body}x`, signed)).toThrow('No matching signature found');

      // The minted token is this service's: the handler can call back.
      const back = await get(rest('event.get', form.auth!.access_token!));
      expect(back.status).toBe(200);
    } finally {
      await sink.close();
    }
  });

  it('sends JSON to a binding that asks for it with options[format]=json', async () => {
    const sink = await startSink();
    try {
      const app = await installUser();
      await bindOnline(app, 'ONCRMCOMPANYADD', `${sink.url}/json`, '&options[format]=json');
      await publishEvents(server.url, app.memberId, [{ event: 'ONCRMCOMPANYADD', data: { FIELDS: { ID: 5, TAGS: [] } } }]);
      const [got] = await sink.waitFor(1);
      expect(got!.headers['content-type']).toBe('application/json');
      const body = JSON.parse(got!.body) as Record<string, unknown>;
      expect(body).toMatchObject({ event: 'ONCRMCOMPANYADD', data: { FIELDS: { ID: 5, TAGS: [] } }, auth: { application_token: app.applicationToken } });
      // No user caused it and the binding has no auth_type user: no tokens.
      expect(body.auth).not.toHaveProperty('access_token');
      expect(new Webhook(app.signingSecret).verify(got!.body, Object.fromEntries(['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => [h, String(got!.headers[h])])))).toEqual(body);
    } finally {
      await sink.close();
    }
  });

  it('event.test sends ONAPPTEST with the call’s parameters to the application’s own ONAPPTEST handler', async () => {
    const sink = await startSink();
    try {
      const app = await installUser();
      const other = await installUser({ memberId: app.memberId });
      await bindOnline(app, 'ONAPPTEST', `${sink.url}/test`);
      await bindOnline(other, 'ONAPPTEST', `${sink.url}/other`);
      const reply = await postForm(rest('event.test', app.accessToken), 'foo=bar&list[]=1&list[]=2&nested[a]=b');
      expect(reply.body.result).toBe(1);
      const [got] = await sink.waitFor(1);
      const body = qs.parse(got!.body) as { event: string; data: { QUERY: Record<string, unknown> }; auth: Record<string, string> };
      expect(body.event).toBe('ONAPPTEST');
      // data.QUERY with LANGUAGE_ID beside it, as api-reference/events/test-handler.md shows.
      expect(body.data).toEqual({ QUERY: { foo: 'bar', list: ['1', '2'], nested: { a: 'b' } }, LANGUAGE_ID: 'en' });
      // Tokens with a refresh token (application events), for the caller; its own token is not echoed.
      expect(body.auth).toMatchObject({ user_id: '1', refresh_token: expect.any(String), application_token: app.applicationToken });
      expect(got!.body).not.toContain(app.accessToken);
      await new Promise((r) => setTimeout(r, 500));
      expect(sink.received).toHaveLength(1); // not the other application's handler
    } finally {
      await sink.close();
    }
  });

  it('refreshes tokens at /oauth/token/ in Bitrix24’s shape, once per refresh token', async () => {
    const app = await installUser();
    const url = `${server.url}/oauth/token/?grant_type=refresh_token&client_id=${app.clientId}&client_secret=${app.clientSecret}&refresh_token=${app.refreshToken}`;
    const first = await get(url);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ expires_in: 3600, member_id: app.memberId, user_id: 1, scope: 'crm,task,user', client_endpoint: 'http://127.0.0.1:3000/rest/', server_endpoint: 'http://127.0.0.1:3000/oauth/' });
    expect((await get(rest('event.get', first.body.access_token as string))).status).toBe(200);
    expect((await get(url)).body).toMatchObject({ error: 'invalid_grant' });
    const wrongSecret = await postForm(`${server.url}/oauth/token`, `grant_type=refresh_token&client_id=${app.clientId}&client_secret=nope&refresh_token=${first.body.refresh_token as string}`);
    expect(wrongSecret).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    const again = await postForm(`${server.url}/oauth/token`, `grant_type=refresh_token&client_id=${app.clientId}&client_secret=${app.clientSecret}&refresh_token=${first.body.refresh_token as string}`);
    expect(again.status).toBe(200);
  });

  it('delivers to a fast handler without waiting for a slow one, and then calls the slow one less often', async () => {
    const fast = await startSink();
    const slow = await startSink({ delayMs: 2500 });
    try {
      const app = await installUser();
      await bindOnline(app, 'ONCRMDEALUPDATE', `${fast.url}/fast`);
      await bindOnline(app, 'ONCRMDEALUPDATE', `${slow.url}/slow`);
      await publishEvents(server.url, app.memberId, [{ event: 'ONCRMDEALUPDATE', data: { FIELDS: { ID: 1 } } }]);
      const [firstFast] = await fast.waitFor(1);
      await slow.waitFor(1);
      // The fast handler got the event before the slow one had answered it.
      expect(firstFast!.seq).toBeLessThan(slow.received[0]!.answeredSeq ?? Infinity);

      // Once the slow call is over, the handler is known to be slow (2.5 s): its calls are spaced.
      const slowHealth = () => wiring().deliveryLog.getHealth(`${slow.url}/slow`);
      for (let i = 0; i < 100 && (await slowHealth()).latencyMs === 0; i++) await new Promise((r) => setTimeout(r, 100));
      const health = await slowHealth();
      expect(health.latencyMs).toBeGreaterThan(2000);
      expect(health.nextAt).toBeGreaterThan(Date.now());
      for (let i = 2; i <= 4; i++) await publishEvents(server.url, app.memberId, [{ event: 'ONCRMDEALUPDATE', data: { FIELDS: { ID: i } } }]);
      await fast.waitFor(4);
      // The three new events went to the fast handler; the slow one's wait in the queue, deferred.
      expect(slow.received).toHaveLength(1);
      const attempts = await wiring().deliveryLog.listAttempts(app.memberId, app.clientId, 20);
      expect(attempts.filter((a) => a.handler === `${slow.url}/slow`)).toHaveLength(1);
      expect(await wiring().deliveryLog.getHealth(`${fast.url}/fast`)).toEqual({ latencyMs: 0, failures: 0, nextAt: 0 });
    } finally {
      await Promise.all([fast.close(), slow.close()]);
    }
  });

  it('records every attempt, failed ones with their status, and does not retry by default', async () => {
    const failing = await startSink({ status: 503 });
    try {
      const app = await installUser();
      await bindOnline(app, 'ONTASKADD', `${failing.url}/down`);
      await publishEvents(server.url, app.memberId, [{ event: 'ONTASKADD', data: { FIELDS: { ID: 3 } } }]);
      await failing.waitFor(1);
      let attempts = await wiring().deliveryLog.listAttempts(app.memberId, app.clientId, 10);
      for (let i = 0; i < 50 && attempts.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        attempts = await wiring().deliveryLog.listAttempts(app.memberId, app.clientId, 10);
      }
      expect(attempts).toEqual([expect.objectContaining({ event: 'ONTASKADD', handler: `${failing.url}/down`, status: 503, ok: false, error: 'HTTP 503', attempt: 1 })]);
      await new Promise((r) => setTimeout(r, 1500));
      expect(failing.received).toHaveLength(1);
    } finally {
      await failing.close();
    }
  });
});

describe('what the delivery worker keeps in memory, on the real stores', () => {
  jest.setTimeout(60_000);

  it('hands the same access token to a user’s deliveries with expires_in counting down, and the token works', async () => {
    const sink = await startSink();
    try {
      const app = await installUser();
      await bindOnline(app, 'ONCRMDEALADD', `${sink.url}/deals`);
      await publishEvents(server.url, app.memberId, [{ event: 'ONCRMDEALADD', data: { FIELDS: { ID: 1 } }, user_id: 1 }]);
      await sink.waitFor(1);
      await new Promise((r) => setTimeout(r, 1100)); // a whole second later, so expires_in has moved
      await publishEvents(server.url, app.memberId, [{ event: 'ONCRMDEALADD', data: { FIELDS: { ID: 2 } }, user_id: 1 }]);
      const got = await sink.waitFor(2);
      const auths = got.map((g) => (qs.parse(g.body) as { auth: Record<string, string> }).auth);

      expect(auths[1]!.access_token).toBe(auths[0]!.access_token);
      expect(auths[1]!.expires).toBe(auths[0]!.expires);
      expect(Number(auths[1]!.expires_in)).toBeLessThan(Number(auths[0]!.expires_in));
      expect((await get(rest('event.get', auths[1]!.access_token!))).status).toBe(200);
    } finally {
      await sink.close();
    }
  });

  it('drops deliveries to an unbound binding and to an uninstalled application once the bound has passed', async () => {
    // The worker's use case on DynamoDB Local, with its own memory; `now` steps past the bound.
    const [sinkA, sinkB] = await Promise.all([startSink(), startSink()]);
    try {
      const app = await installUser();
      const w = wiring();
      const settings = { ...w.deliverySettings, knownForMs: 5000 };
      const deps = { registry: w.registry, bindings: w.bindings, log: w.deliveryLog, sender: w.sender, queue: w.deliveries, settings, memory: new DeliveryMemory(settings) };
      await bindOnline(app, 'ONCRMDEALADD', `${sinkA.url}/a`);
      await bindOnline(app, 'ONCRMDEALADD', `${sinkB.url}/b`);
      const [a, b] = await w.bindings.listByApplication(app.memberId, app.clientId);
      const t0 = Date.now();
      const message = (bindingId: number, handler: string): DeliveryMessage => ({ memberId: app.memberId, clientId: app.clientId, bindingId, event: 'ONCRMDEALADD', handler, userId: 0, data: {}, ts: Math.floor(t0 / 1000) });
      expect((await deliver(deps, message(a!.id, a!.handler), t0)).kind).toBe('delivered');

      // Unbound: dropped unsent once the bound has passed.
      expect((await postForm(rest('event.unbind', app.accessToken), `event=ONCRMDEALADD&handler=${encodeURIComponent(a!.handler)}`)).body.result).toEqual({ count: 1 });
      expect(await deliver(deps, message(a!.id, a!.handler), t0 + 5000)).toEqual({ kind: 'dropped', reason: 'the binding no longer exists' });
      expect((await deliver(deps, message(b!.id, b!.handler), t0 + 5001)).kind).toBe('delivered');

      // Uninstalled: dropped once the bound has passed.
      await uninstall({ registry: w.registry, bindings: w.bindings, journal: w.journal, publicUrl: settings.publicUrl, accessTokenTtl: settings.accessTokenTtl, refreshTokenTtl: settings.refreshTokenTtl }, app.memberId, app.clientId);
      expect(await deliver(deps, message(b!.id, b!.handler), t0 + 10_001)).toEqual({ kind: 'dropped', reason: 'the application is no longer installed' });
      expect([sinkA.received.length, sinkB.received.length]).toEqual([1, 1]);
    } finally {
      await Promise.all([sinkA.close(), sinkB.close()]);
    }
  });
});

describe('poison messages', () => {
  jest.setTimeout(40_000);

  it('fails a malformed message as a batch item, and SQS parks it in the DLQ after its receives', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"memberId": 1}' }));
    let parked: string[] = [];
    for (let i = 0; i < 30 && !parked.includes('{"memberId": 1}'); i++) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: deadLetterUrl, WaitTimeSeconds: 1, VisibilityTimeout: 0 }));
      parked = Messages.map((m) => m.Body!);
    }
    expect(parked).toContain('{"memberId": 1}');
  });
});

describe('retries when the deployment enables them', () => {
  jest.setTimeout(30_000);

  it('retries with backoff through the queue, then parks the delivery in the DLQ', async () => {
    const failing = await startSink({ status: 500 });
    try {
      const app = await installUser();
      const w = wiring();
      const name = `retries-${randomBytes(4).toString('hex')}`;
      const retryQueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
      const parkedUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }))).QueueUrl!;
      const settings = { ...w.deliverySettings, retries: 2, retryBaseSeconds: 1 };
      const deps = { registry: w.registry, bindings: w.bindings, log: w.deliveryLog, sender: w.sender, queue: new SqsDeliveryQueue(sqs, retryQueueUrl, parkedUrl), settings, memory: new DeliveryMemory(settings) };
      const handler = `${failing.url}/x`;
      await bindOnline(app, 'ONCRMDEALADD', handler);
      const [binding] = await w.bindings.listByApplication(app.memberId, app.clientId);
      // Each attempt runs at the handler's turn (its health spaces a failing handler's calls).
      const turn = async () => Math.max(Date.now(), (await w.deliveryLog.getHealth(handler)).nextAt);
      const next = async (): Promise<{ message: DeliveryMessage; waitedMs: number }> => {
        const started = Date.now();
        for (;;) {
          const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: retryQueueUrl, WaitTimeSeconds: 1 }));
          if (Messages[0]) return { message: JSON.parse(Messages[0].Body!) as DeliveryMessage, waitedMs: Date.now() - started };
        }
      };

      const first: DeliveryMessage = { memberId: app.memberId, clientId: app.clientId, bindingId: binding!.id, event: 'ONCRMDEALADD', handler, userId: 1, data: {}, ts: 1, attempt: 1, deliveryId: 'msg_retry' };
      expect(await deliver(deps, first, await turn())).toMatchObject({ kind: 'failed', retryInSeconds: 1 });
      const second = await next();
      expect(second.message).toMatchObject({ attempt: 2, deliveryId: 'msg_retry' });
      expect(await deliver(deps, second.message, await turn())).toMatchObject({ kind: 'failed', retryInSeconds: 2 });
      const third = await next();
      expect(third.message).toMatchObject({ attempt: 3, deliveryId: 'msg_retry' });
      expect(third.waitedMs).toBeGreaterThanOrEqual(1000); // the 2 s backoff held it back
      expect(await deliver(deps, third.message, await turn())).toMatchObject({ kind: 'failed', parked: true });
      expect(failing.received).toHaveLength(3);
      // The same webhook-id on every attempt, so a handler can tell a retry from a new event.
      expect(new Set(failing.received.map((r) => r.headers['webhook-id']))).toEqual(new Set(['msg_retry']));

      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: parkedUrl, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }));
      const parked = Messages.map((m) => ({ body: JSON.parse(m.Body!) as DeliveryMessage, reason: m.MessageAttributes?.reason?.StringValue }));
      expect(parked).toContainEqual({ body: expect.objectContaining({ deliveryId: 'msg_retry', attempt: 3 }), reason: '3 attempts failed; last: HTTP 500' });
    } finally {
      await failing.close();
    }
  });
});
