import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import qs from 'qs';
import { startDeliveryHarness, type DeliveryHarness } from '../support/delivery-harness';
import { get, installUser, postForm, publishEvents, type InstalledUser, type TestServer } from '../support/fixtures';
import { until } from '../support/until';

/**
 * Push → pull fallback, delivery history, replay and switched-off handlers end to end
 * (docs/delivery.md): the local HTTP front, publish, this file's own SQS queue on the emulator,
 * the delivery worker, and real HTTP handlers on loopback whose answers the test changes. This
 * deployment switches a handler off after 3 s of failures (DELIVERY_SWITCH_OFF_SECONDS).
 */
process.env.DELIVERY_SWITCH_OFF_SECONDS = '3';
// The worker keeps a handler's health (switch-offs included) this long (docs/delivery.md): a
// handler switched on again is called once its kept health has expired.
process.env.DELIVERY_CACHE_SECONDS = '1';
// The sinks share this process with the worker: under load an answer can be late, and a late
// answer is a failure the handler did see (delivered and journaled). A long timeout keeps the
// counts exact.
process.env.DELIVERY_TIMEOUT_MS = '60000';

let harness: DeliveryHarness;
let server: TestServer;

beforeAll(async () => {
  // A message received again under load (visibility 5 s) is not parked after two receives.
  harness = await startDeliveryHarness({ maxReceiveCount: 10 });
  ({ server } = harness);
});

afterAll(() => harness.close());

const rest = (method: string, token: string) => `${server.url}/rest/${method}?auth=${token}`;
const call = async (app: InstalledUser, method: string, form = '') => (await postForm(rest(method, app.accessToken), form)).body;

interface Hit {
  id: string;
  deliveryId: string;
  event: string;
  status: number;
  at: number;
}

/** A handler whose answer the test sets: `answer(hit)` gives the status (and headers) of each POST. */
async function handlerSink(answer: (n: number) => { status: number; headers?: Record<string, string> }) {
  const hits: Hit[] = [];
  const srv: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const form = qs.parse(body) as { event?: string; data?: { FIELDS?: { ID?: string } } };
      const { status, headers } = answer(hits.length);
      hits.push({ id: form.data?.FIELDS?.ID ?? '', deliveryId: String(req.headers['webhook-id']), event: form.event ?? '', status, at: Date.now() });
      res.writeHead(status, headers ?? {}).end();
    });
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/hook`;
  return { url, hits, close: () => new Promise<void>((r) => srv.close(() => r())) };
}


const data = (i: number) => ({ FIELDS: { ID: i } });
const publishDeals = async (app: InstalledUser, ids: number[]) => {
  for (let i = 0; i < ids.length; i += 100) {
    const reply = await publishEvents(server.url, app.memberId, ids.slice(i, i + 100).map((id) => ({ event: 'ONCRMDEALADD', data: data(id) })));
    expect(reply.status).toBe(200);
  }
};

describe('push → pull fallback', () => {
  it('1,000 events to a handler that is down for a while: each is delivered or pending offline, none lost, none twice, announced', async () => {
    let downUntil = 0;
    const handler = await handlerSink(() => {
      downUntil ||= Date.now() + 1500;
      return { status: Date.now() < downUntil ? 500 : 200 };
    });
    const notified = await handlerSink(() => ({ status: 200 }));
    try {
      const app = await installUser();
      expect((await call(app, 'event.bind', `event=ONCRMDEALADD&handler=${encodeURIComponent(handler.url)}&options[fallback]=offline`)).result).toBe(true);
      expect((await call(app, 'event.bind', `event=ONOFFLINEEVENT&handler=${encodeURIComponent(notified.url)}`)).result).toBe(true);
      const bindings = (await call(app, 'event.get')).result as Record<string, unknown>[];
      expect(bindings.find((b) => b.event === 'ONCRMDEALADD')).toMatchObject({ handler: handler.url, fallback: 'offline' });

      const ids = Array.from({ length: 1000 }, (_, i) => i + 1);
      await publishDeals(app, ids);

      // Settled when every event is either delivered or journaled.
      const journaled: string[] = [];
      await until('every event delivered or journaled', async () => {
        const got = await call(app, 'event.offline.get', 'limit=1000&clear=1');
        const records = (got.result as { events: { EVENT_DATA: { FIELDS: { ID: number | string } }; EVENT_ADDITIONAL: Record<string, unknown> }[] }).events;
        for (const r of records) {
          expect(r.EVENT_ADDITIONAL.failed_delivery).toMatchObject({ handler: handler.url, attempts: 1, error: expect.any(String) });
          journaled.push(String(r.EVENT_DATA.FIELDS.ID));
        }
        // Distinct events: under load SQS may hand a message to the worker twice.
        return new Set([...handler.hits.filter((h) => h.status === 200).map((h) => h.id), ...journaled]).size >= 1000;
      }, 500_000);

      const delivered = handler.hits.filter((h) => h.status === 200);
      const failed = new Set(handler.hits.filter((h) => h.status === 500).map((h) => h.id));
      expect(failed.size).toBeGreaterThan(0);
      expect(new Set(journaled).size).toBe(journaled.length); // none journaled twice
      expect(new Set(journaled)).toEqual(failed); // exactly the failed ones fell back
      expect(new Set([...delivered.map((h) => h.id), ...journaled])).toEqual(new Set(ids.map(String))); // none lost
      // SQS delivers at least once: a message redelivered under load reaches the handler again
      // with the same webhook-id, so the handler can tell.
      const idOf = new Map<string, string>();
      for (const h of delivered) expect(idOf.set(h.id, idOf.get(h.id) ?? h.deliveryId).get(h.id)).toBe(h.deliveryId);
      await until('ONOFFLINEEVENT', async () => notified.hits.some((h) => h.event === 'ONOFFLINEEVENT'));

      // The history says the same.
      const fellBack = await call(app, 'event.delivery.list', `filter[STATUS]=fallback`);
      expect(fellBack.total).toBeGreaterThanOrEqual(failed.size);
    } finally {
      await handler.close();
      await notified.close();
    }
  }, 600_000);
});

describe('replay', () => {
  jest.setTimeout(120_000);

  it('resends exactly the N failed deliveries with their original webhook-id, and again on a second resend', async () => {
    const N = 5;
    let down = true;
    const handler = await handlerSink(() => ({ status: down ? 500 : 200 }));
    const notDelivered = 'filter[STATUS][]=failed&filter[STATUS][]=dropped';
    try {
      const app = await installUser();
      await call(app, 'event.bind', `event=ONCRMDEALADD&handler=${encodeURIComponent(handler.url)}`);
      const since = new Date(Date.now() - 1000).toISOString();
      await publishDeals(app, [1, 2, 3, 4, 5]);
      // Failed, or dropped once the handler has failed for 3 s and is switched off.
      await until('5 deliveries not delivered', async () => (await call(app, 'event.delivery.list', notDelivered)).total === N);
      const failedIds = ((await call(app, 'event.delivery.list', notDelivered)).result as { ID: string }[]).map((r) => r.ID).sort();
      const hitsBefore = handler.hits.length;

      // The handler recovered: switch it on with a fresh start (no waiting out its failures), then replay.
      down = false;
      expect((await call(app, 'event.delivery.enable', `handler=${encodeURIComponent(handler.url)}`)).result).toMatchObject({ enabled: true });
      const resent = await call(app, 'event.delivery.resend', `${notDelivered}&filter[>=DATE_CREATE]=${encodeURIComponent(since)}`);
      expect(resent.result).toEqual({ count: N });
      await until('the replay', async () => handler.hits.length >= hitsBefore + N);
      const replayed = handler.hits.slice(hitsBefore);
      expect(replayed.map((h) => h.deliveryId).sort()).toEqual(failedIds);
      expect(replayed.map((h) => h.id).sort()).toEqual(['1', '2', '3', '4', '5']);

      const again = await call(app, 'event.delivery.resend', failedIds.map((id) => `id[]=${id}`).join('&'));
      expect(again.result).toEqual({ count: N });
      await until('the second replay', async () => handler.hits.length >= hitsBefore + 2 * N);
      expect(handler.hits.slice(hitsBefore + N).map((h) => h.deliveryId).sort()).toEqual(failedIds);
      expect(handler.hits).toHaveLength(hitsBefore + 2 * N);

      const rows = (await call(app, 'event.delivery.list')).result as Record<string, unknown>[];
      expect(rows[0]).toMatchObject({ ID: expect.stringMatching(/^msg_/), EVENT_NAME: 'ONCRMDEALADD', HANDLER: handler.url, ATTEMPT: 1, STATUS: 'delivered', HTTP_STATUS: 200, ERROR: '' });
    } finally {
      await handler.close();
    }
  });
});

describe('dead handlers', () => {
  jest.setTimeout(120_000);

  it('switches a handler off on 410: no more POSTs, recorded as dropped; event.delivery.enable switches it on', async () => {
    let status = 410;
    const handler = await handlerSink(() => ({ status }));
    try {
      const app = await installUser();
      await call(app, 'event.bind', `event=ONCRMDEALADD&handler=${encodeURIComponent(handler.url)}`);
      await publishDeals(app, [1]);
      const off = await until('switch-off', async () => ((await call(app, 'event.get')).result as Record<string, { reason?: string }>[]).find((b) => b.switched_off)?.switched_off);
      expect(off).toMatchObject({ reason: 'the handler answered 410 Gone' });

      await publishDeals(app, [2]);
      await until('a dropped delivery', async () => (await call(app, 'event.delivery.list', 'filter[STATUS]=dropped')).total === 1);
      expect(handler.hits).toHaveLength(1);

      status = 200;
      expect((await call(app, 'event.delivery.enable', `handler=${encodeURIComponent(handler.url)}`)).result).toEqual({ enabled: true, was_off: true });
      // Within DELIVERY_CACHE_SECONDS a worker may still hold the switch-off: publish until the
      // handler gets the event (docs/delivery.md, "What the worker keeps in memory").
      await until('delivery after enable', async () => {
        if (!handler.hits.some((h) => h.id === '3')) await publishDeals(app, [3]);
        return handler.hits.some((h) => h.id === '3' && h.status === 200);
      });
    } finally {
      await handler.close();
    }
  });

  it('switches off after failing for the configured time, and on again when bound again', async () => {
    const handler = await handlerSink(() => ({ status: 500 }));
    try {
      const app = await installUser();
      await call(app, 'event.bind', `event=ONCRMDEALADD&handler=${encodeURIComponent(handler.url)}`);
      let id = 0;
      const off = await until('switch-off after 3 s of failures', async () => {
        await publishDeals(app, [++id]);
        return ((await call(app, 'event.get')).result as Record<string, { reason?: string }>[]).find((b) => b.switched_off)?.switched_off;
      }, 60_000);
      expect(off!.reason).toMatch(/^every delivery failed for \d+ s/);

      await call(app, 'event.bind', `event=ONCRMDEALUPDATE&handler=${encodeURIComponent(handler.url)}`);
      expect(((await call(app, 'event.get')).result as Record<string, unknown>[]).some((b) => b.switched_off)).toBe(false);
    } finally {
      await handler.close();
    }
  });

  it('honours Retry-After: a handler that answered 503 with Retry-After: 3 is not called again sooner', async () => {
    const handler = await handlerSink((n) => (n === 0 ? { status: 503, headers: { 'retry-after': '3' } } : { status: 200 }));
    try {
      const app = await installUser();
      await call(app, 'event.bind', `event=ONCRMDEALADD&handler=${encodeURIComponent(handler.url)}`);
      await publishDeals(app, [1]);
      await until('the 503', async () => handler.hits.length === 1);
      await publishDeals(app, [2]);
      await until('the next call', async () => handler.hits.length === 2);
      expect(handler.hits[1]!.at - handler.hits[0]!.at).toBeGreaterThanOrEqual(2900);
    } finally {
      await handler.close();
    }
  });
});

describe('bad input', () => {
  it('answers Bitrix-style 400s for unknown ids, bad filters and dates', async () => {
    const app = await installUser();
    for (const form of ['id=msg_00000000-0000-4000-8000-000000000000', 'id=nonsense', 'filter[ID]=1', 'filter[STATUS]=lost', 'filter[>=DATE_CREATE]=yesterday', '', 'id=x&filter[STATUS]=failed']) {
      const reply = await postForm(rest('event.delivery.resend', app.accessToken), form);
      expect([form, reply.status, reply.body.error]).toEqual([form, 400, 'ERROR_ARGUMENT']);
    }
    for (const form of ['filter[>STATUS]=failed', 'filter[<DATE_CREATE]=2026-13-45', 'start=abc', 'start=20000']) {
      const reply = await postForm(rest('event.delivery.list', app.accessToken), form);
      expect([form, reply.status, reply.body.error]).toEqual([form, 400, 'ERROR_ARGUMENT']);
    }
    const enable = await get(rest('event.delivery.enable', app.accessToken));
    expect([enable.status, enable.body.error]).toEqual([400, 'ERROR_ARGUMENT']);
  });
});
