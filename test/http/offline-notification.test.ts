import qs from 'qs';
import { startDeliveryHarness, type DeliveryHarness } from '../support/delivery-harness';
import { installUser, postForm, publishEvents, type InstalledUser } from '../support/fixtures';
import { startSink, type Received, type Sink } from '../support/sink';

/**
 * ONOFFLINEEVENT end to end (docs/notifications.md): publish through the HTTP front, the throttle in
 * DynamoDB Local, trailing notifications scheduled in DynamoDB Local and fired by the local
 * scheduler, delivery through SQS and the worker to a real HTTP handler.
 */
let harness: DeliveryHarness;
beforeAll(async () => {
  harness = await startDeliveryHarness({ scheduler: true });
});
afterAll(() => harness.close());

const rest = (method: string, token: string) => `${harness.server.url}/rest/${method}?auth=${token}`;
const form = (r: Received) => qs.parse(r.body) as { event: string; data: Record<string, string>; auth: Record<string, string> };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function application(sink: Sink, minTimeout: number): Promise<InstalledUser> {
  const app = await installUser();
  expect((await postForm(rest('event.bind', app.accessToken), 'event=ONCRMDEALADD&event_type=offline')).body.result).toBe(true);
  const bound = await postForm(rest('event.bind', app.accessToken), `event=ONOFFLINEEVENT&handler=${encodeURIComponent(`${sink.url}/offline`)}&options[minTimeout]=${minTimeout}`);
  expect(bound.body.result).toBe(true);
  return app;
}

const deal = (id: number) => ({ event: 'ONCRMDEALADD', data: { FIELDS: { ID: id } }, user_id: 1 });

describe('ONOFFLINEEVENT on the local runtime', () => {
  jest.setTimeout(60_000);

  it('minTimeout=0: one notification per publish request, however many records it wrote', async () => {
    const sink = await startSink();
    try {
      const app = await application(sink, 0);
      for (let request = 0; request < 3; request++) {
        const reply = await publishEvents(harness.server.url, app.memberId, [deal(request * 10), deal(request * 10 + 1), deal(request * 10 + 2)]);
        expect(reply.body.result).toMatchObject({ records_created: 3, notifications_queued: 1 });
      }
      const got = await sink.waitFor(3);
      for (const r of got) {
        expect(form(r)).toMatchObject({ event: 'ONOFFLINEEVENT', data: { type: 'add', event: 'ONCRMDEALADD', handler: `${sink.url}/offline` } });
        expect(form(r).data.minTimeout).toBeUndefined();
        // Tokens with a refresh token, so the handler can call event.offline.get at once.
        expect(form(r).auth).toMatchObject({ access_token: expect.any(String), refresh_token: expect.any(String), application_token: app.applicationToken });
      }
      const batch = await postForm(rest('event.offline.get', form(got[0]!).auth.access_token!), 'limit=50');
      expect((batch.body.result as { events: unknown[] }).events).toHaveLength(9);
      await sleep(500);
      expect(sink.received).toHaveLength(3);
    } finally {
      await sink.close();
    }
  });

  it('minTimeout=2: a burst gives one notification at once and one at the window’s end', async () => {
    const sink = await startSink();
    try {
      const app = await application(sink, 2);
      const started = Date.now();
      const first = await publishEvents(harness.server.url, app.memberId, [deal(1)]);
      expect(first.body.result).toMatchObject({ notifications_queued: 1 });
      for (let i = 2; i <= 5; i++) expect((await publishEvents(harness.server.url, app.memberId, [deal(i)])).body.result).toMatchObject({ notifications_queued: 0 });
      const [leading, trailing] = await sink.waitFor(2, 15_000);
      const trailingAt = Date.now();
      expect(form(leading!).data.minTimeout).toBeUndefined();
      expect(form(trailing!).data).toMatchObject({ type: 'add', event: 'ONCRMDEALADD', minTimeout: '2' });
      // The trailing one waited for the window's end (a lower bound: a property, not a speed).
      expect(trailingAt - started).toBeGreaterThanOrEqual(2000);
      await sleep(3000);
      expect(sink.received).toHaveLength(2);
    } finally {
      await sink.close();
    }
  });

  it('sends no trailing notification when the application took its records before the window ended', async () => {
    const sink = await startSink();
    try {
      const app = await application(sink, 2);
      await publishEvents(harness.server.url, app.memberId, [deal(1)]);
      await publishEvents(harness.server.url, app.memberId, [deal(2)]); // schedules the trailing one
      const [leading] = await sink.waitFor(1);
      const drained = await postForm(rest('event.offline.get', form(leading!).auth.access_token!), 'limit=50');
      expect((drained.body.result as { events: unknown[] }).events).toHaveLength(2);
      await sleep(3500);
      expect(sink.received).toHaveLength(1);
    } finally {
      await sink.close();
    }
  });

  it('refuses ONOFFLINEEVENT offline and a minTimeout that is not an integer ≥ 0', async () => {
    const app = await installUser();
    for (const formBody of ['event=ONOFFLINEEVENT&event_type=offline', 'event=ONOFFLINEEVENT&handler=https://a.example.com/h&options[minTimeout]=-1', 'event=ONOFFLINEEVENT&handler=https://a.example.com/h&options[minTimeout]=1.5']) {
      const reply = await postForm(rest('event.bind', app.accessToken), formBody);
      expect(reply.status).toBe(400);
      expect(reply.body.error).toBe('ERROR_ARGUMENT');
    }
  });
});
