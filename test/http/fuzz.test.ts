import fc from 'fast-check';
import qs from 'qs';
import type { JournalRecord, QueueKey } from '../../lambdas/domain/model';
import { restMethods } from '../../lambdas/method-list';
import { createApplicationLink, createOperatorCredential, openLink, signIn } from '../../lambdas/usecases/console';
import { wiring } from '../support/wiring';
import { TEST_PRODUCER_KEY } from '../support/constants';
import { installUser, publishEvents, startTestServer, type InstalledUser, type TestServer } from '../support/fixtures';

/**
 * Hostile input against every REST method and the producer endpoint, through real HTTP:
 * random parameter names (the real ones among them), random JSON values, sizes and nesting,
 * three encodings (JSON, PHP-style form, query string) and random content types. Whatever
 * arrives, the answer is never a 5xx, an error answer has the Bitrix shape, the journals the
 * caller may not change stay exactly as they were, and the queue the caller may drain loses
 * nothing: every record is still there or was handed to the caller.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const METHODS = [...restMethods().map((m) => m.name), 'event.nope', 'EVENT.GET', 'batch.json', 'user.current'];
const NAMES = ['event', 'handler', 'auth_type', 'event_type', 'auth_connector', 'options', 'filter', 'order', 'limit', 'clear', 'process_id', 'error', 'id', 'message_id', 'start', 'cmd', 'halt', 'scope', 'full', '__proto__', 'constructor', 'EVENT', 'Filter'];

const key = fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 12 }), fc.constantFrom('>=ID', '!EVENT_NAME', '<TIMESTAMP_X', 'PROCESS_ID', 'ID', 'MESSAGE_ID', 'ERROR', 'STATUS', 'HANDLER', '>=DATE_CREATE', '<DATE_CREATE', '>DATE_CREATE'));
const scalar = fc.oneof(
  fc.integer({ min: -5, max: 2000 }),
  fc.double({ noNaN: false }),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 40 }),
  fc.constantFrom('0', '1', 'Y', 'offline', 'ONCRMDEALUPDATE', 'https://a.example.com/h', 'http://127.0.0.1/x', 'ftp://x', 'event.get', 'event.offline.get?clear=0', '$result[a][0]', 'DESC', 'ASC', '', 'failed', 'fallback', 'dropped', '2026-01-01T00:00:00Z', 'msg_00000000-0000-4000-8000-000000000001'),
  fc.string({ minLength: 3000, maxLength: 5000 }),
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(tie('v'), { maxLength: 5 }), fc.dictionary(key, tie('v'), { maxKeys: 5 })),
})).v;
const params = fc.dictionary(key, value, { maxKeys: 8 });
const deep = fc.integer({ min: 9, max: 40 }).map((levels) => ({ filter: Array.from({ length: levels }).reduce<unknown>((inner) => ({ a: inner }), 1) }));
const encoding = fc.constantFrom('json', 'form', 'query', 'raw');

interface Outcome {
  status: number;
  body: Record<string, unknown> | undefined;
}

async function send(url: string, enc: string, p: unknown, contentType?: string): Promise<Outcome> {
  let target = url;
  let body: string | undefined;
  let type = contentType;
  if (enc === 'json') {
    body = JSON.stringify(p);
    type ??= 'application/json';
  } else if (enc === 'form') {
    body = qs.stringify(p);
    type ??= 'application/x-www-form-urlencoded';
  } else if (enc === 'query') {
    target = `${url}${url.includes('?') ? '&' : '?'}${qs.stringify(p)}`.slice(0, 8000);
  } else {
    body = typeof p === 'string' ? p : JSON.stringify(p).slice(0, 200) + '{[%%';
    type ??= 'application/json';
  }
  const response = await fetch(target, { method: 'POST', headers: type ? { 'content-type': type } : {}, ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, body: parsed };
}

function expectSane(outcome: Outcome, context: unknown): void {
  if (outcome.status >= 500 || outcome.body === undefined) throw new Error(`answered ${outcome.status} ${JSON.stringify(outcome.body)} to ${JSON.stringify(context).slice(0, 400)}`);
  if (outcome.status !== 200) {
    expect(typeof outcome.body.error).toBe('string');
    expect(typeof outcome.body.error_description).toBe('string');
  }
}

const queueOf = (user: InstalledUser): QueueKey => ({ memberId: user.memberId, clientId: user.clientId, connector: '' });
const snapshot = async (user: InstalledUser) =>
  (await wiring().journal.readAll(queueOf(user), Date.now())).map((r: JournalRecord) => JSON.stringify(r)).sort();
/** Binds ONCRMDEALUPDATE offline for the user's application and publishes deals 1..count to it. */
async function journalDeals(user: InstalledUser, count: number): Promise<void> {
  const bound = await fetch(`${server.url}/rest/event.bind?auth=${user.accessToken}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ event: 'ONCRMDEALUPDATE', event_type: 'offline' }) });
  expect(bound.status).toBe(200);
  const published = await publishEvents(server.url, user.memberId, dealsOf(count));
  expect(published.body.result).toMatchObject({ records_created: count });
}
const dealsOf = (count: number) => Array.from({ length: count }, (_, i) => ({ event: 'ONCRMDEALUPDATE', data: { FIELDS: { ID: i + 1 } } }));

const counts = { calls: 0, records: 0, statuses: new Map<number, number>() };
const tally = (status: number) => {
  counts.calls++;
  counts.statuses.set(status, (counts.statuses.get(status) ?? 0) + 1);
};

describe('fuzzing the REST surface', () => {
  it('a non-administrator of one application and a stranger change nothing, and never get a 5xx', async () => {
    const owner = await installUser({ clientId: 'local.fuzzowner' + Math.floor(Math.random() * 1e6) });
    await journalDeals(owner, 20);
    await installUser({ memberId: owner.memberId, clientId: owner.clientId, userId: 7, admin: false });
    const member = await installUser({ memberId: owner.memberId, clientId: owner.clientId, userId: 8, admin: false });
    const bystander = await installUser();
    await journalDeals(bystander, 10);
    const ownerBefore = await snapshot(owner);
    const bystanderBefore = await snapshot(bystander);

    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...METHODS), encoding, fc.oneof(params, deep), fc.constantFrom(undefined, 'text/plain', 'application/json; charset=utf-8', 'multipart/form-data; boundary=x'), fc.boolean(), async (method, enc, p, type, webhook) => {
        const base = webhook ? `${server.url}${new URL(member.webhookUrl).pathname}${method}` : `${server.url}/rest/${method}?auth=${member.accessToken}`;
        const outcome = await send(base, enc, p, type);
        tally(outcome.status);
        expectSane(outcome, { method, enc, p });
      }),
      { numRuns: 400 },
    );
    expect(await snapshot(owner)).toEqual(ownerBefore);
    expect(await snapshot(bystander)).toEqual(bystanderBefore);
    counts.records += ownerBefore.length + bystanderBefore.length;
  });

  it('an administrator drains only what it is handed: every record is still there or was returned', async () => {
    const admin = await installUser();
    await journalDeals(admin, 60);
    const bystander = await installUser({ memberId: admin.memberId });
    await journalDeals(bystander, 10);
    const untouched = await snapshot(bystander);
    const handed = new Set<number>();

    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...METHODS), encoding, fc.oneof(params, deep), async (method, enc, p) => {
        const outcome = await send(`${server.url}/rest/${method}?auth=${admin.accessToken}`, enc, p);
        tally(outcome.status);
        expectSane(outcome, { method, enc, p });
        // Records handed over and deleted in one go (clear=1), directly or inside a batch.
        const collect = (result: unknown) => {
          const got = result as { process_id?: unknown; events?: { EVENT_DATA?: { FIELDS?: { ID?: number } } }[] } | undefined;
          if (got && got.process_id === null && Array.isArray(got.events)) for (const e of got.events) handed.add(Number(e.EVENT_DATA?.FIELDS?.ID));
        };
        if (outcome.status === 200) {
          collect(outcome.body!.result);
          const inner = (outcome.body!.result as { result?: unknown } | undefined)?.result;
          if (inner && typeof inner === 'object') for (const r of Object.values(inner)) collect(r);
        }
      }),
      // Always among the runs: a plain claim and one inside a batch, so the invariant is tested on a drained queue.
      { numRuns: 300, examples: [['event.offline.get', 'json', {}], ['batch', 'form', { cmd: { a: 'event.offline.get?limit=5' } }]] },
    );
    expect(handed.size).toBeGreaterThanOrEqual(55);
    const remaining = (await wiring().journal.readAll(queueOf(admin), Date.now())).map((r) => (r.eventData as { FIELDS: { ID: number } }).FIELDS.ID);
    expect(new Set(remaining).size).toBe(remaining.length);
    for (let id = 1; id <= 60; id++) expect({ id, kept: remaining.includes(id) || handed.has(id) }).toEqual({ id, kept: true });
    expect(await snapshot(bystander)).toEqual(untouched);
    counts.records += 60 + untouched.length;
  });

  it('the producer endpoint refuses malformed publishes cleanly and writes nothing for them', async () => {
    const target = await installUser();
    const before = await snapshot(target);
    const body = fc.oneof(
      params,
      fc.record({ member_id: fc.oneof(fc.constant(target.memberId), fc.string()), events: fc.array(fc.record({ event: fc.oneof(fc.constant('ONNOSUCH'), fc.string()), data: value }), { maxLength: 3 }) }),
      fc.record({ member_id: fc.constant(target.memberId), events: fc.array(value, { minLength: 101, maxLength: 120 }) }),
    );
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom('json', 'raw', 'form'), async (p, enc) => {
        const url = `${server.url}/producer/events`;
        const response = await fetch(url, {
          method: 'POST',
          headers: { authorization: `Bearer ${TEST_PRODUCER_KEY}`, 'content-type': enc === 'form' ? 'application/x-www-form-urlencoded' : 'application/json' },
          body: enc === 'json' ? JSON.stringify(p) : enc === 'form' ? qs.stringify(p) : JSON.stringify(p).slice(0, 50),
        });
        const outcome = { status: response.status, body: (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined };
        tally(outcome.status);
        expectSane(outcome, p);
        expect(outcome.status).not.toBe(200);
      }),
      { numRuns: 150 },
    );
    expect(await snapshot(target)).toEqual(before);
    counts.records += before.length;
  });

  it('the console endpoints answer hostile parameters, bodies, cookies and origins with a clear error, never a 5xx', async () => {
    // A real operator session and an application-link session (usecases/console.ts), and the application's journal that must not change.
    const target = await installUser();
    await journalDeals(target, 3);
    const before = await snapshot(target);
    const { registry } = wiring();
    const operatorSession = await signIn(registry, await createOperatorCredential(registry), 3600, Date.now());
    const appSession = await openLink(registry, (await createApplicationLink(registry, target.memberId, target.clientId, 3600, Date.now())).token, 3600, Date.now());
    const other = await installUser();
    const origin = new URL(server.url).origin;
    const paths = ['api/me', 'api/overview', 'api/installations', 'api/bindings', 'api/queues', 'api/deliveries', 'api/recent', 'api/resend', 'api/enable', 'api/dlq', 'api/dlq/redrive', 'api/session', 'api/nope', 'link', '', 'vendor/preact.js', 'vendor/../../package.json', '..%2f..%2fpackage.json', 'api/%00'];
    const cookie = fc.oneof(
      fc.constant(operatorSession.token),
      fc.constant(appSession.token),
      fc.string({ maxLength: 80 }),
      fc.constant(''),
    );
    const query = fc.dictionary(
      fc.constantFrom('member_id', 'client_id', 'status', 'event', 'from', 'to', 'start', 'token', 'limit', '__proto__'),
      fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom(other.memberId, other.clientId, target.memberId, target.clientId, '-1', '99999', 'delivered', '1e400', '2020-13-45')),
      { maxKeys: 5 },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), fc.constantFrom('GET', 'POST', 'DELETE', 'PUT'), query, cookie, fc.oneof(value, params), fc.constantFrom(origin, 'http://evil.example', ''), async (path, method, q, token, body, from) => {
        const url = `${server.url}/console/${path}?${new URLSearchParams(q as Record<string, string>).toString()}`;
        const headers: Record<string, string> = { cookie: `b24hub_console=${token}`, 'content-type': 'application/json' };
        if (from) headers.origin = from;
        const response = await fetch(url, { method, headers, redirect: 'manual', ...(method === 'GET' ? {} : { body: JSON.stringify(body ?? null) }) });
        const text = await response.text();
        tally(response.status);
        if (response.status >= 500) throw new Error(`console answered ${response.status} ${text.slice(0, 300)} to ${method} ${url}`);
        if (response.status >= 400) {
          const parsed = JSON.parse(text) as Record<string, unknown>;
          expect(typeof parsed.error).toBe('string');
          expect(typeof parsed.error_description).toBe('string');
        }
        // The application link never reads another application's data.
        if (token === appSession.token && response.status === 200 && path.startsWith('api/')) expect(text).not.toContain(other.clientId);
      }),
      { numRuns: 200 },
    );
    expect(await snapshot(target)).toEqual(before);
  }, 180_000);

  afterAll(() => {
    // The counts for the closing note: how many calls, and what they were answered.
    process.stdout.write(`fuzz: ${counts.calls} calls, ${counts.records} records checked; statuses ${JSON.stringify(Object.fromEntries([...counts.statuses].sort()))}\n`);
  });
});
