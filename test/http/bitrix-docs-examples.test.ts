import { installUser, postJson, publishEvents, startTestServer, type InstalledUser, type TestServer } from '../support/fixtures';

/**
 * docs/core-methods.md: the cURL examples of the Bitrix24 REST docs (bitrix24/b24restdocs,
 * api-reference/events/*.md and the core methods' pages), sent as they are written, with
 * their own values (placeholders such as `message_id: [2]` included), only `auth` replaced.
 * Each answer is the one the page shows for that call.
 */
let server: TestServer;
let app: InstalledUser;
beforeAll(async () => {
  server = await startTestServer();
  app = await installUser({ userId: 1, admin: true });
});
afterAll(() => server.close());

/** `curl -X POST -H "Content-Type: application/json" -d '<body>' https://…/rest/<method>` (OAuth tab). */
const oauth = (method: string, body: Record<string, unknown>) => postJson(`${server.url}/rest/${method}`, { ...body, auth: app.accessToken });
/** The page's "cURL (Webhook)" tab: the same body to `/rest/<user>/<webhook>/<method>`. */
const webhook = (method: string, body: Record<string, unknown>) => postJson(`${app.webhookUrl.replace(/^https?:\/\/[^/]+/, server.url)}${method}`, body);

describe('api-reference/events: every cURL example with its own values', () => {
  it('events.md: SCOPE "user" and FULL true', async () => {
    const byScope = await oauth('events', { SCOPE: 'user' });
    expect(byScope.status).toBe(200);
    expect(byScope.body.result).toEqual(expect.arrayContaining(['ONUSERADD']));
    const full = await oauth('events', { FULL: true });
    expect(full.body.result).toEqual(expect.arrayContaining(['ONAPPINSTALL', 'ONAPPTEST', 'ONOFFLINEEVENT', 'ONCRMLEADADD', 'ONCRMDEALADD']));
  });

  it('event-bind.md, event-get.md, event-unbind.md: ONCRMLEADADD on https://www.my-domain.com/handler/', async () => {
    expect((await oauth('event.bind', { event: 'ONCRMLEADADD', handler: 'https://www.my-domain.com/handler/' })).body.result).toBe(true);
    const got = await oauth('event.get', {});
    expect(got.body.result).toEqual([{ event: 'ONCRMLEADADD', handler: 'https://www.my-domain.com/handler/', auth_type: '0', offline: 0 }]);
    const unbound = await oauth('event.unbind', { event: 'ONCRMLEADADD', handler: 'https://www.my-domain.com/handler/' });
    expect(unbound).toMatchObject({ status: 200, body: { result: { count: 1 } } });
  });

  it('event-offline-get.md: filter {"=MESSAGE_ID": 1, "=EVENT_NAME": "ONCRMLEADADD", ">=ID": 1} on connector BxTest', async () => {
    const reply = await oauth('event.offline.get', { filter: { '=MESSAGE_ID': 1, '=EVENT_NAME': 'ONCRMLEADADD', '>=ID': 1 }, auth_connector: 'BxTest' });
    expect(reply.status).toBe(200);
    expect(reply.body.result).toEqual({ process_id: null, events: [] }); // MESSAGE_ID 1 names no record
  });

  it('event-offline-list.md: filter {ERROR: 0}, order {ID: DESC}', async () => {
    const reply = await oauth('event.offline.list', { filter: { ERROR: 0 }, order: { ID: 'DESC' } });
    expect(reply).toMatchObject({ status: 200, body: { result: [], total: 0 } });
  });

  it('event-offline-clear.md: process_id "yh3gu929sf0d32lsfysqas2y1hlpp09q", id [2] → true', async () => {
    const reply = await oauth('event.offline.clear', { process_id: 'yh3gu929sf0d32lsfysqas2y1hlpp09q', id: [2] });
    expect(reply).toMatchObject({ status: 200, body: { result: true } });
  });

  it('event-offline-error.md: process_id "yh3gu929sf0d32lsfysqas2y1hlpp09q", message_id [2] → true', async () => {
    const reply = await oauth('event.offline.error', { process_id: 'yh3gu929sf0d32lsfysqas2y1hlpp09q', message_id: [2] });
    expect(reply).toMatchObject({ status: 200, body: { result: true } });
  });

  it('test-handler.md: bind ONAPPTEST to https://example.com/handler.php, then event.test {"any": "data"} → 1', async () => {
    expect((await oauth('event.bind', { event: 'ONAPPTEST', handler: 'https://example.com/handler.php' })).body.result).toBe(true);
    expect((await oauth('event.test', { any: 'data' })).body.result).toBe(1);
    expect((await oauth('event.unbind', { event: 'ONAPPTEST', handler: 'https://example.com/handler.php' })).body.result).toEqual({ count: 1 });
  });

  it('offline-events.md: the walk-through, step by step, with its placeholders', async () => {
    expect((await oauth('feature.get', { CODE: 'rest_offline_extended' })).body.result).toEqual({ value: 'Y' });
    expect((await oauth('event.bind', { event: 'ONCRMDEALUPDATE', event_type: 'offline' })).body.result).toBe(true);
    await publishEvents(server.url, app.memberId, [{ event: 'ONCRMDEALUPDATE', data: { FIELDS: { ID: 1 } } }, { event: 'ONCRMDEALUPDATE', data: { FIELDS: { ID: 2 } } }]);
    const taken = await oauth('event.offline.get', { limit: 50 });
    expect(taken.body.result).toMatchObject({ process_id: null, events: [{ EVENT_NAME: 'ONCRMDEALUPDATE' }, { EVENT_NAME: 'ONCRMDEALUPDATE' }] });

    await publishEvents(server.url, app.memberId, [{ event: 'ONCRMDEALUPDATE', data: { FIELDS: { ID: 3 } } }]);
    const reserved = await oauth('event.offline.get', { clear: 0, limit: 50 }); // Step 1. Reserve the batch
    const { process_id } = reserved.body.result as { process_id: string };
    expect(process_id).toEqual(expect.any(String));
    expect((await oauth('event.offline.clear', { process_id })).body.result).toBe(true); // Step 2. Confirm processing
    // The error example with its placeholders: names nothing, so changes nothing.
    const placeholder = await oauth('event.offline.error', { process_id: '**put_process_id_here**', message_id: ['**put_message_id_here**'] });
    expect(placeholder).toMatchObject({ status: 200, body: { result: true } });

    expect((await oauth('event.bind', { event: 'ONCRMDEALUPDATE', event_type: 'offline', auth_connector: 'my_connector' })).body.result).toBe(true);
    // crm.deal.update with auth_connector: this service has no CRM methods.
    const crm = await oauth('crm.deal.update', { id: 1, fields: { TITLE: 'New Title' }, auth_connector: 'my_connector' });
    expect(crm).toMatchObject({ status: 404, body: { error: 'ERROR_METHOD_NOT_FOUND' } });
  });
});

describe('api-reference/common: the core methods’ examples, in both tabs', () => {
  it.each([
    ['scope', { full: true }],
    ['methods', { scope: 'user' }],
    ['app.info', {}],
    ['profile', {}],
    ['feature.get', { CODE: 'rest_offline_extended' }],
    ['server.time', {}],
  ] as const)('%s %j answers 200 with a result by OAuth and by webhook', async (method, body) => {
    const byToken = await oauth(method, body);
    const byHook = await webhook(method, body);
    expect(byToken.status).toBe(200);
    expect(byHook.status).toBe(200);
    expect(byToken.body).toHaveProperty('result');
    expect(byToken.body).toHaveProperty('time');
    if (method !== 'server.time') expect(byHook.body.result).toEqual(byToken.body.result);
  });

  it('feature.get without CODE answers the page’s error', async () => {
    expect(await oauth('feature.get', {})).toMatchObject({ status: 400, body: { error: 'CODE_EMPTY', error_description: "CODE can't be empty" } });
  });
});
