import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { hashSecret } from '../../lambdas/domain/credentials';
import { wiring } from '../support/wiring';
import { get, installUser, postForm, postJson, publishEvents, startTestServer, type InstalledUser, type TestServer } from '../support/fixtures';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const rest = (method: string, token: string) => `${server.url}/rest/${method}?auth=${token}`;
/** The webhook URL printed by install, on this test server (it carries the configured PUBLIC_URL). */
const hook = (app: InstalledUser) => app.webhookUrl.replace(/^https?:\/\/[^/]+/, server.url);

describe('the REST wire layer', () => {
  let app: InstalledUser;
  beforeAll(async () => {
    app = await installUser();
  });

  it('answers with the Bitrix envelope: result, time, JSON content type and CORS', async () => {
    const reply = await get(rest('event.get', app.accessToken));
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(reply.headers.get('access-control-allow-origin')).toBe('*');
    expect(reply.body.result).toEqual([]);
    expect(reply.body.time).toEqual(
      expect.objectContaining({ start: expect.any(Number), finish: expect.any(Number), duration: expect.any(Number), processing: expect.any(Number), date_start: expect.stringMatching(/\+00:00$/), date_finish: expect.any(String), operating: 0 }),
    );
  });

  it('answers CORS preflight requests', async () => {
    const response = await fetch(`${server.url}/rest/event.bind`, { method: 'OPTIONS' });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-headers')).toContain('Authorization');
  });

  it.each(['/rest/EVENT.GET', '/rest/event.get.json', '/rest/event.get/', '/rest/Event.Get.JSON/'])('serves %s (case-insensitive, .json, trailing slash)', async (path) => {
    expect((await get(`${server.url}${path}?auth=${app.accessToken}`)).status).toBe(200);
  });

  it('serves the incoming-webhook path style', async () => {
    const reply = await get(`${hook(app)}event.get.json`);
    expect(reply.status).toBe(200);
  });

  it('accepts the token as access_token or Authorization: Bearer, and ignores SDK extras', async () => {
    expect((await get(`${server.url}/rest/event.get?access_token=${app.accessToken}&bx24_request_id=abc&bx24_sdk_ver=1.0`)).status).toBe(200);
    expect((await get(`${server.url}/rest/event.get`, { authorization: `Bearer ${app.accessToken}` })).status).toBe(200);
    expect((await postJson(`${server.url}/rest/event.get`, { auth: app.accessToken, bx24_request_id: 'x' })).status).toBe(200);
  });

  it.each([
    ['no credential', () => `${server.url}/rest/event.get`, 401, 'NO_AUTH_FOUND'],
    ['an unknown token', () => rest('event.get', 'nope'), 401, 'invalid_token'],
    ['a refresh token used as an access token', () => rest('event.get', app.refreshToken), 401, 'invalid_token'],
    ['an unknown webhook secret', () => `${server.url}/rest/${app.userId}/wrongsecret/event.get`, 401, 'INVALID_CREDENTIALS'],
    ['a webhook secret under another user id', () => hook(app).replace(`/rest/${app.userId}/`, '/rest/99/') + 'event.get', 401, 'INVALID_CREDENTIALS'],
    ['an unknown method', () => rest('crm.deal.list', app.accessToken), 404, 'ERROR_METHOD_NOT_FOUND'],
    ['the producer route named as a method', () => rest('producer', app.accessToken), 404, 'ERROR_METHOD_NOT_FOUND'],
    ['the OAuth route named as a method', () => rest('oauth-token', app.accessToken), 404, 'ERROR_METHOD_NOT_FOUND'],
  ])('refuses %s', async (_what, url, status, code) => {
    const reply = await get(url());
    expect(reply.status).toBe(status);
    expect(reply.body).toEqual({ error: code, error_description: expect.any(String) });
  });

  it('answers an expired access token with expired_token (the SDK refreshes on it)', async () => {
    const token = 'expired-token-for-test-' + Date.now();
    const caller = await wiring().registry.getCredential(hashSecret(app.accessToken));
    await wiring().registry.putCredential(hashSecret(token), { ...caller!, expiresAt: Math.floor(Date.now() / 1000) - 1 });
    const reply = await get(rest('event.get', token));
    expect(reply.status).toBe(401);
    expect(reply.body.error).toBe('expired_token');
  });

  it('refuses malformed JSON with 400, never 500', async () => {
    const response = await fetch(`${server.url}/rest/event.bind?auth=${app.accessToken}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"event":' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'ERROR_ARGUMENT', error_description: 'Request body is not valid JSON' });
  });

  it('refuses a body over the bound with 413', async () => {
    const reply = await postForm(rest('event.bind', app.accessToken), `event=ONCRMDEALADD&pad=${'x'.repeat(1024 * 1024)}`);
    expect(reply.status).toBe(413);
    expect(reply.body.error).toBe('ERROR_ARGUMENT');
  });

  it('answers unknown paths with a JSON 404', async () => {
    const reply = await get(`${server.url}/nothing-here`);
    expect(reply.status).toBe(404);
    expect(reply.body.error).toBe('NOT_FOUND');
  });
});

describe('events', () => {
  it('lists the granted scopes plus global events; SCOPE and FULL', async () => {
    const app = await installUser({ scopes: ['task'] });
    const mine = (await get(rest('events', app.accessToken))).body.result as string[];
    expect(mine).toEqual(expect.arrayContaining(['ONTASKADD', 'ONOFFLINEEVENT', 'ONAPPINSTALL']));
    expect(mine).not.toContain('ONCRMDEALADD');
    expect((await postJson(`${server.url}/rest/events`, { auth: app.accessToken, SCOPE: 'user' })).body.result).toEqual(['ONUSERADD']);
    expect((await postForm(rest('events', app.accessToken), 'FULL=true')).body.result).toEqual(expect.arrayContaining(['ONCRMDEALADD', 'ONTASKADD']));
  });
});

describe('event.bind / event.get / event.unbind', () => {
  it('binds online and offline, lists in creation order, refuses duplicates', async () => {
    const app = await installUser();
    const bind = (form: string) => postForm(rest('event.bind', app.accessToken), form);
    expect((await bind('event=onCrmDealAdd&handler=https://hooks.example.com/deal')).body.result).toBe(true);
    expect((await bind('EVENT=ONCRMDEALUPDATE&EVENT_TYPE=offline&AUTH_CONNECTOR=sync')).body.result).toBe(true);
    expect((await bind('event=ONOFFLINEEVENT&handler=https://hooks.example.com/off&options[minTimeout]=5&auth_type=4')).body.result).toBe(true);

    const duplicate = await bind('event=ONCRMDEALADD&handler=https://hooks.example.com/deal');
    expect(duplicate.status).toBe(400);
    expect(duplicate.body).toEqual({ error: 'ERROR_CORE', error_description: 'Unable to set event handler: Handler already binded' });

    expect((await get(rest('event.get', app.accessToken))).body.result).toEqual([
      { event: 'ONCRMDEALADD', handler: 'https://hooks.example.com/deal', auth_type: '0', offline: 0 },
      { event: 'ONCRMDEALUPDATE', connector_id: 'sync', offline: 1 },
      { event: 'ONOFFLINEEVENT', handler: 'https://hooks.example.com/off', auth_type: '4', offline: 0 },
    ]);
  });

  it.each([
    ['event=&handler=https://hooks.example.com/h', 400, 'ERROR_ARGUMENT', "Argument 'EVENT' is null or empty"],
    ['event=ONCRMDEALADD', 400, 'ERROR_ARGUMENT', "Argument 'HANDLER' is null or empty"],
    ['event=ONNOSUCH&handler=https://hooks.example.com/h', 400, 'ERROR_EVENT_NOT_FOUND', 'Event not found'],
    ['event=ONCRMDEALADD&handler=ftp://hooks.example.com/h', 400, 'ERROR_UNSUPPORTED_PROTOCOL', expect.any(String)],
    ['event=ONCRMDEALADD&handler=http://localhost:8080/h', 400, 'ERROR_WRONG_HANDLER_URL', expect.any(String)],
    ['event=ONCRMDEALADD&handler=https://hooks.example.com/h&event_type=sometimes', 400, 'ERROR_ARGUMENT', expect.stringContaining('EVENT_TYPE')],
    ['event=ONCRMDEALADD&handler=https://hooks.example.com/h&auth_type=-1', 400, 'ERROR_ARGUMENT', expect.stringContaining('AUTH_TYPE')],
    ['event=ONOFFLINEEVENT&handler=https://hooks.example.com/h&options[minTimeout]=-5', 400, 'ERROR_ARGUMENT', expect.stringContaining('minTimeout')],
    ['event=ONOFFLINEEVENT&event_type=offline', 400, 'ERROR_ARGUMENT', expect.stringContaining('ONOFFLINEEVENT')],
    ['event[]=ONCRMDEALADD&handler=https://hooks.example.com/h', 400, 'ERROR_ARGUMENT', expect.stringContaining('EVENT')],
  ])('refuses %s', async (form, status, code, description) => {
    const app = await installUser();
    const reply = await postForm(rest('event.bind', app.accessToken), form);
    expect(reply.status).toBe(status);
    expect(reply.body).toMatchObject({ error: code, error_description: description });
  });

  it('keeps handlers on the application’s declared hosts', async () => {
    const app = await installUser({ handlerHosts: ['myapp.example.com'] });
    expect((await postForm(rest('event.bind', app.accessToken), 'event=ONCRMDEALADD&handler=https://hooks.other.org/h')).body.error).toBe('ERROR_WRONG_HANDLER_URL');
    expect((await postForm(rest('event.bind', app.accessToken), 'event=ONCRMDEALADD&handler=https://eu.myapp.example.com/h')).body.result).toBe(true);
  });

  it('applies the administrator rules to a non-administrator', async () => {
    const admin = await installUser();
    const user = await installUser({ memberId: admin.memberId, clientId: admin.clientId, userId: 5, admin: false });
    const offline = await postForm(rest('event.bind', user.accessToken), 'event=ONCRMDEALADD&event_type=offline');
    expect(offline.status).toBe(403);
    expect(offline.body).toEqual({ error: 'ACCESS_DENIED', error_description: 'Offline events binding requires administrator access rights' });
    expect((await postForm(rest('event.bind', user.accessToken), 'event=ONCRMDEALADD&handler=https://hooks.example.com/u&auth_type=6')).status).toBe(403);
    expect((await postForm(rest('event.bind', user.accessToken), 'event=ONCRMDEALADD&handler=https://hooks.example.com/u')).body.result).toBe(true);
    expect((await postForm(rest('event.bind', admin.accessToken), 'event=ONCRMDEALADD&handler=https://hooks.example.com/a')).body.result).toBe(true);

    // The user sees only his own binding; the administrator sees both.
    expect((await get(rest('event.get', user.accessToken))).body.result).toEqual([{ event: 'ONCRMDEALADD', handler: 'https://hooks.example.com/u', auth_type: '5', offline: 0 }]);
    expect((await get(rest('event.get', admin.accessToken))).body.result).toHaveLength(2);
    // The user cannot unbind the administrator's handler; an offline unbind is refused.
    expect((await postForm(rest('event.unbind', user.accessToken), 'event=ONCRMDEALADD&handler=https://hooks.example.com/a')).body.result).toEqual({ count: 0 });
    expect((await postForm(rest('event.unbind', user.accessToken), 'event=ONCRMDEALADD&event_type=offline')).status).toBe(403);
  });

  it('unbinds by handler, narrows by auth_type, and offline by connector', async () => {
    const app = await installUser();
    const bind = (form: string) => postForm(rest('event.bind', app.accessToken), form);
    const unbind = (form: string) => postForm(rest('event.unbind', app.accessToken), form);
    await bind('event=ONCRMDEALADD&handler=https://hooks.example.com/h');
    await bind('event=ONCRMDEALADD&handler=https://hooks.example.com/h&auth_type=3');
    await bind('event=ONCRMDEALADD&event_type=offline&auth_connector=a');
    await bind('event=ONCRMDEALADD&event_type=offline&auth_connector=b');

    expect((await unbind('event=ONCRMDEALADD')).body).toMatchObject({ error: 'ERROR_ARGUMENT', error_description: "Argument 'HANDLER' is null or empty" });
    expect((await unbind('event=ONCRMDEALADD&handler=https://hooks.example.com/h&auth_type=3')).body.result).toEqual({ count: 1 });
    expect((await unbind('event=onCrmDealAdd&handler=https://hooks.example.com/h')).body.result).toEqual({ count: 1 });
    expect((await unbind('event=ONCRMDEALADD&event_type=offline&auth_connector=a')).body.result).toEqual({ count: 1 });
    expect((await get(rest('event.get', app.accessToken))).body.result).toEqual([{ event: 'ONCRMDEALADD', connector_id: 'b', offline: 1 }]);
  });

  it('never shows or removes another application’s bindings', async () => {
    const a = await installUser();
    const b = await installUser({ memberId: a.memberId });
    await postForm(rest('event.bind', a.accessToken), 'event=ONCRMDEALADD&handler=https://hooks.example.com/h');
    expect((await get(rest('event.get', b.accessToken))).body.result).toEqual([]);
    expect((await postForm(rest('event.unbind', b.accessToken), 'event=ONCRMDEALADD&handler=https://hooks.example.com/h')).body.result).toEqual({ count: 0 });
    expect((await get(rest('event.get', a.accessToken))).body.result).toHaveLength(1);
  });
});

describe('publishing and event.offline.list', () => {
  it('journals offline bindings with merge, and lists with form-encoded filter and order', async () => {
    const app = await installUser();
    await postForm(rest('event.bind', app.accessToken), 'event=ONCRMDEALUPDATE&event_type=offline');
    for (let i = 0; i < 3; i++) {
      const reply = await publishEvents(server.url, app.memberId, [
        { event: 'ONCRMDEALUPDATE', data: { FIELDS: { ID: 7405 } }, user_id: 1 },
        { event: 'ONCRMDEALUPDATE', data: { FIELDS: { ID: 100 + i } } },
      ]);
      expect(reply.status).toBe(200);
      expect(reply.body.result).toMatchObject({ records_created: i === 0 ? 2 : 1, records_merged: i === 0 ? 0 : 1 });
    }
    const all = await postForm(rest('event.offline.list', app.accessToken), '');
    expect(all.body.total).toBe(4);
    const rows = all.body.result as Record<string, string>[];
    expect(rows.map((r) => Number(r.ID))).toEqual([...rows.map((r) => Number(r.ID))].sort((x, y) => x - y));
    expect(rows[0]).toEqual({
      ID: expect.stringMatching(/^\d+$/),
      TIMESTAMP_X: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/),
      EVENT_NAME: 'ONCRMDEALUPDATE',
      EVENT_DATA: { FIELDS: { ID: 7405 } },
      EVENT_ADDITIONAL: { user_id: '1' },
      MESSAGE_ID: expect.stringMatching(/^[0-9a-f]{32}$/),
      PROCESS_ID: '',
      ERROR: '0',
    });

    const secondId = rows[1]!.ID;
    const filtered = await postForm(rest('event.offline.list', app.accessToken), `filter[>=ID]=${secondId}&order[ID]=DESC`);
    expect((filtered.body.result as Record<string, string>[]).map((r) => r.ID)).toEqual(rows.slice(1).map((r) => r.ID).reverse());
    const bad = await postForm(rest('event.offline.list', app.accessToken), 'filter[~ID]=1');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('ERROR_ARGUMENT');
  });

  it('pages event.offline.list by 50 with start, total and next; start=-1 does not count', async () => {
    const app = await installUser();
    await postForm(rest('event.bind', app.accessToken), 'event=ONTASKUPDATE&event_type=offline');
    const events = Array.from({ length: 60 }, (_, i) => ({ event: 'ONTASKUPDATE', data: { FIELDS_AFTER: { ID: i } } }));
    await publishEvents(server.url, app.memberId, events);
    const first = await get(rest('event.offline.list', app.accessToken));
    expect(first.body).toMatchObject({ total: 60, next: 50 });
    expect(first.body.result).toHaveLength(50);
    const second = await get(`${rest('event.offline.list', app.accessToken)}&start=50`);
    expect(second.body).toMatchObject({ total: 60 });
    expect(second.body.next).toBeUndefined();
    expect(second.body.result).toHaveLength(10);
    const uncounted = await get(`${rest('event.offline.list', app.accessToken)}&start=-1`);
    expect(uncounted.body.total).toBeUndefined();
    expect(uncounted.body.result).toHaveLength(50);
  });

  it('reads the connector’s queue and is for administrators only', async () => {
    const admin = await installUser();
    const user = await installUser({ memberId: admin.memberId, clientId: admin.clientId, userId: 2, admin: false });
    await postForm(rest('event.bind', admin.accessToken), 'event=ONCRMLEADADD&event_type=offline&auth_connector=sync');
    await publishEvents(server.url, admin.memberId, [{ event: 'ONCRMLEADADD', data: { FIELDS: { ID: 1 } } }]);
    expect((await get(`${rest('event.offline.list', admin.accessToken)}&auth_connector=sync`)).body.total).toBe(1);
    expect((await get(rest('event.offline.list', admin.accessToken))).body.total).toBe(0);
    const denied = await get(rest('event.offline.list', user.accessToken));
    expect(denied.status).toBe(403);
    expect(denied.body.error).toBe('ACCESS_DENIED');
  });
});

describe('POST /producer/events', () => {
  it('needs the producer key', async () => {
    const reply = await postJson(`${server.url}/producer/events`, { member_id: '0'.repeat(32), events: [] }, { authorization: 'Bearer wrong' });
    expect(reply.status).toBe(401);
    expect(reply.body.error).toBe('NO_AUTH_FOUND');
  });

  it.each([
    ['malformed JSON', '{"member_id":', 'not valid JSON'],
    ['a bad member_id', JSON.stringify({ member_id: 'x', events: [{ event: 'ONCRMDEALADD' }] }), 'MEMBER_ID'],
    ['no events', JSON.stringify({ member_id: '0'.repeat(32), events: [] }), 'EVENTS'],
    ['101 events', JSON.stringify({ member_id: '0'.repeat(32), events: Array(101).fill({ event: 'ONCRMDEALADD' }) }), 'EVENTS'],
    ['an unknown field', JSON.stringify({ member_id: '0'.repeat(32), events: [{ event: 'ONCRMDEALADD', mesage_id: 'x' }] }), 'EVENTS'],
    ['a bad message_id', JSON.stringify({ member_id: '0'.repeat(32), events: [{ event: 'ONCRMDEALADD', message_id: 'short' }] }), 'EVENTS'],
    ['an unknown portal', JSON.stringify({ member_id: 'f'.repeat(32), events: [{ event: 'ONCRMDEALADD' }] }), 'Unknown portal'],
  ])('answers %s with 400', async (_what, body, words) => {
    const response = await fetch(`${server.url}/producer/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${process.env.PRODUCER_KEY}` },
      body,
    });
    expect(response.status).toBe(400);
    const json = (await response.json()) as Record<string, string>;
    expect(json.error).toBe('ERROR_ARGUMENT');
    expect(`${json.error_description} ${json.argument ?? ''}`).toContain(words);
  });
});

describe('event.offline.get / clear / error over HTTP', () => {
  it('claims with clear=0, clears by message_id[] and id[], marks errors, all form-encoded', async () => {
    const app = await installUser();
    await postForm(rest('event.bind', app.accessToken), 'event=ONCRMCONTACTADD&event_type=offline&auth_connector=crm-sync');
    await publishEvents(server.url, app.memberId, Array.from({ length: 4 }, (_, i) => ({ event: 'ONCRMCONTACTADD', data: { FIELDS: { ID: i } } })));

    const got = await postForm(rest('event.offline.get', app.accessToken), 'clear=0&limit=3&auth_connector=crm-sync&order[ID]=ASC');
    expect(got.status).toBe(200);
    const { process_id: processId, events } = got.body.result as { process_id: string; events: Record<string, string>[] };
    expect(processId).toMatch(/^[0-9a-f]{32}$/);
    expect(events).toHaveLength(3);
    expect(Object.keys(events[0]!).sort()).toEqual(['EVENT_ADDITIONAL', 'EVENT_DATA', 'EVENT_NAME', 'ID', 'MESSAGE_ID', 'TIMESTAMP_X']);

    const listed = await postForm(rest('event.offline.list', app.accessToken), `auth_connector=crm-sync&filter[PROCESS_ID]=${processId}`);
    expect(listed.body.total).toBe(3);

    await postForm(rest('event.offline.error', app.accessToken), `process_id=${processId}&message_id[]=${events[0]!.MESSAGE_ID}&auth_connector=crm-sync`);
    await postForm(rest('event.offline.clear', app.accessToken), `process_id=${processId}&message_id[]=${events[1]!.MESSAGE_ID}&auth_connector=crm-sync`);
    await postForm(rest('event.offline.clear', app.accessToken), `process_id=${processId}&id[]=${events[2]!.ID}&auth_connector=crm-sync`);

    const rest1 = await postForm(rest('event.offline.list', app.accessToken), 'auth_connector=crm-sync');
    expect((rest1.body.result as Record<string, string>[]).map((r) => [r.ID, r.ERROR, r.PROCESS_ID])).toEqual([
      [events[0]!.ID, '1', ''],
      [expect.any(String), '0', ''],
    ]);
    const errorBatch = await postForm(rest('event.offline.get', app.accessToken), 'error=1&auth_connector=crm-sync');
    expect(errorBatch.body.result).toEqual({ process_id: null, events: [expect.objectContaining({ ID: events[0]!.ID })] });
  });

  it('filters and orders a claim with form-encoded filter[>=ID] and order[], and reports the queue', async () => {
    const app = await installUser();
    await postForm(rest('event.bind', app.accessToken), 'event=ONCRMDEALADD&event_type=offline');
    await postForm(rest('event.bind', app.accessToken), 'event=ONCRMDEALUPDATE&event_type=offline');
    await publishEvents(server.url, app.memberId, [
      ...Array.from({ length: 6 }, (_, i) => ({ event: 'ONCRMDEALADD', data: { FIELDS: { ID: i } } })),
      { event: 'ONCRMDEALUPDATE', data: { FIELDS: { ID: 1 } } },
    ]);
    const all = (await postForm(rest('event.offline.list', app.accessToken), 'order[ID]=ASC')).body.result as Record<string, string>[];
    expect(all).toHaveLength(7);

    const from = all[2]!.ID;
    const got = await postForm(rest('event.offline.get', app.accessToken), `filter[>=ID]=${from}&filter[!EVENT_NAME]=ONCRMDEALUPDATE&order[ID]=DESC&limit=3`);
    expect(got.status).toBe(200);
    const events = (got.body.result as { events: Record<string, string>[] }).events;
    const adds = all.filter((r) => r.EVENT_NAME === 'ONCRMDEALADD' && Number(r.ID) >= Number(from)).map((r) => r.ID);
    expect(events.map((e) => e.ID)).toEqual(adds.reverse().slice(0, 3));
    expect(got.body.queue).toEqual({ pending: 4, pending_exact: true, oldest_age: expect.any(Number), removed_expired: 0, removed_overflow: 0 });
  });

  it('gives a killed consumer’s batch back by its process_id, and nobody else gets it meanwhile', async () => {
    const app = await installUser();
    await postForm(rest('event.bind', app.accessToken), 'event=ONCRMDEALADD&event_type=offline');
    await publishEvents(server.url, app.memberId, Array.from({ length: 5 }, (_, i) => ({ event: 'ONCRMDEALADD', data: { FIELDS: { ID: i } } })));

    // A consumer process claims a batch with clear=0, reports it, and is killed before it clears.
    const consumer = spawn(process.execPath, ['-e', `
      fetch(${JSON.stringify(rest('event.offline.get', app.accessToken))}, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'clear=0&limit=3' })
        .then((r) => r.json()).then((b) => { console.log(JSON.stringify(b.result)); setInterval(() => {}, 1000); });
    `], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve) => consumer.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    consumer.kill('SIGKILL');
    await once(consumer, 'exit');
    const claimed = JSON.parse(line) as { process_id: string; events: Record<string, string>[] };
    expect(claimed.events).toHaveLength(3);

    const others = await postForm(rest('event.offline.get', app.accessToken), 'clear=0&limit=50');
    expect((others.body.result as { events: unknown[] }).events).toHaveLength(2);

    const again = await postForm(rest('event.offline.get', app.accessToken), `process_id=${claimed.process_id}&clear=0`);
    expect(again.body.result).toEqual(claimed);
    await postForm(rest('event.offline.clear', app.accessToken), `process_id=${claimed.process_id}`);
    const left = await postForm(rest('event.offline.list', app.accessToken), `filter[PROCESS_ID]=${claimed.process_id}`);
    expect(left.body.total).toBe(0);
  });

  it.each([
    ['event.offline.get', 'limit=0', 'LIMIT'],
    ['event.offline.get', 'limit=abc', 'LIMIT'],
    ['event.offline.get', 'filter[PROCESS_ID]=x', 'FILTER'],
    ['event.offline.get', 'order[DATA]=ASC', 'ORDER'],
    ['event.offline.clear', '', 'PROCESS_ID'],
    ['event.offline.clear', 'process_id=p&id[]=0', 'ID'],
    ['event.offline.clear', 'process_id=p&id[]=x', 'ID'],
    // A message id that names nothing matches nothing (docs/core-methods.md); only one over the bound is refused.
    ['event.offline.clear', `process_id=p&message_id[]=${'x'.repeat(129)}`, 'MESSAGE_ID'],
    ['event.offline.error', 'process_id=p', 'MESSAGE_ID'],
    ['event.offline.error', 'message_id[]=' + 'a'.repeat(32), 'PROCESS_ID'],
  ])('%s refuses %s with ERROR_ARGUMENT', async (method, form, argument) => {
    const app = await installUser();
    const reply = await postForm(rest(method, app.accessToken), form);
    expect(reply.status).toBe(400);
    expect(reply.body.error).toBe('ERROR_ARGUMENT');
    expect(`${reply.body.argument} ${reply.body.error_description}`).toContain(argument);
  });

  it.each(['event.offline.get', 'event.offline.clear', 'event.offline.error'])('%s is for administrators only', async (method) => {
    const admin = await installUser();
    const user = await installUser({ memberId: admin.memberId, clientId: admin.clientId, userId: 2, admin: false });
    const reply = await postForm(rest(method, user.accessToken), `process_id=p&message_id[]=${'a'.repeat(32)}`);
    expect(reply.status).toBe(403);
    expect(reply.body.error).toBe('ACCESS_DENIED');
  });

  it('never reaches another application’s queue, even with its process_id', async () => {
    const a = await installUser();
    const b = await installUser({ memberId: a.memberId });
    await postForm(rest('event.bind', a.accessToken), 'event=ONCRMDEALADD&event_type=offline');
    await publishEvents(server.url, a.memberId, [{ event: 'ONCRMDEALADD', data: { FIELDS: { ID: 1 } } }]);
    const claimed = (await postForm(rest('event.offline.get', a.accessToken), 'clear=0')).body.result as { process_id: string };
    expect((await postForm(rest('event.offline.get', b.accessToken), `process_id=${claimed.process_id}`)).body.result).toEqual({ process_id: null, events: [] });
    await postForm(rest('event.offline.clear', b.accessToken), `process_id=${claimed.process_id}`);
    expect((await postForm(rest('event.offline.list', a.accessToken), '')).body.total).toBe(1);
  });
});

describe('event data that DynamoDB could not store natively', () => {
  it('round-trips any JSON the producer sends, exactly, and bounds its size', async () => {
    const app = await installUser();
    await postForm(rest('event.bind', app.accessToken), 'event=ONCRMDEALUPDATE&event_type=offline');
    let deep: unknown = 'bottom';
    for (let i = 0; i < 40; i++) deep = { level: deep };
    const payloads: unknown[] = [{ '': 1 }, deep, { n: 1e308 }, { n: 1e-200 }, { s: 'ж😀\u0000' }, [1, [2]], null, { big: Number.MAX_SAFE_INTEGER * 1000 }];
    const events = payloads.map((data, i) => ({ event: 'ONCRMDEALUPDATE', data, message_id: i.toString(16).padStart(32, '0') }));
    const published = await publishEvents(server.url, app.memberId, events);
    expect(published.status).toBe(200);
    expect(published.body.result).toMatchObject({ records_created: payloads.length });

    const rows = (await get(`${rest('event.offline.list', app.accessToken)}&order[MESSAGE_ID]=ASC`)).body.result as { EVENT_DATA: unknown }[];
    expect(rows.map((r) => r.EVENT_DATA)).toEqual(payloads);

    const tooBig = await publishEvents(server.url, app.memberId, [{ event: 'ONCRMDEALUPDATE', data: { pad: 'x'.repeat(70 * 1024) } }]);
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.error_description).toContain('at most 65536 bytes');
  });

  it('ignores __proto__ in a JSON body instead of letting it shape the parameters', async () => {
    const app = await installUser();
    const reply = await postJson(`${server.url}/rest/event.bind`, JSON.parse(`{"auth":"${app.accessToken}","__proto__":{"event_type":"offline"},"event":"ONCRMDEALADD"}`));
    expect(reply.status).toBe(400);
    expect(reply.body.error_description).toBe("Argument 'HANDLER' is null or empty");
  });
});
