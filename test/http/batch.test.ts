import { installUser, postForm, postJson, publishEvents, startTestServer, type TestServer } from '../support/fixtures';

/** `batch` (docs/rest-api.md) through the local HTTP front: JSON and form bodies, halt, references, bounds. */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const url = (token: string) => `${server.url}/rest/batch?auth=${token}`;
type Batch = { result: Record<string, unknown> | unknown[]; result_error: Record<string, Record<string, string>> | unknown[]; result_total: unknown; result_next: unknown; result_time: Record<string, unknown> | unknown[] };

describe('batch', () => {
  it('runs sub-calls in order with the batch’s credential and reports each one’s result or error, with HTTP 200', async () => {
    const app = await installUser();
    const reply = await postJson(url(app.accessToken), {
      halt: 0,
      cmd: {
        bind: 'event.bind?event=ONCRMDEALADD&event_type=offline',
        again: 'event.bind?event=ONCRMDEALADD&event_type=offline',
        get: 'event.get',
        nope: 'no.such.method',
        nested: 'batch?cmd[x]=event.get',
      },
    });
    expect(reply.status).toBe(200);
    const batch = reply.body.result as Batch;
    expect(batch.result).toEqual({ bind: true, get: [{ event: 'ONCRMDEALADD', connector_id: '', offline: 1 }] });
    expect(batch.result_error).toEqual({
      again: expect.objectContaining({ error: 'ERROR_CORE' }),
      nope: expect.objectContaining({ error: 'ERROR_METHOD_NOT_FOUND' }),
      nested: expect.objectContaining({ error: 'ERROR_METHOD_NOT_FOUND' }),
    });
    expect(Object.keys(batch.result_time as Record<string, unknown>)).toEqual(['bind', 'again', 'get', 'nope', 'nested']);
    expect(reply.body.time).toBeDefined();
  });

  it('stops at the first error with halt=1, takes form bodies and lists, and writes empty maps as []', async () => {
    const app = await installUser();
    const halted = await postForm(url(app.accessToken), `halt=1&cmd[a]=${encodeURIComponent('event.bind?event=NOPE&handler=https://a.example.com/h')}&cmd[b]=${encodeURIComponent('event.bind?event=ONCRMDEALADD&event_type=offline')}`);
    const batch = halted.body.result as Batch;
    expect(batch.result).toEqual([]);
    expect(Object.keys(batch.result_error as object)).toEqual(['a']);
    expect((await postForm(`${server.url}/rest/event.get?auth=${app.accessToken}`, '')).body.result).toEqual([]);

    const listed = await postJson(url(app.accessToken), { cmd: ['events?SCOPE=crm', 'event.get'] });
    const list = listed.body.result as Batch;
    expect(Array.isArray(list.result)).toBe(true);
    expect((list.result as unknown[])[1]).toEqual([]);
    expect(list.result_error).toEqual([]);
  });

  it('passes list paging (total, next) and resolves $result references to earlier results', async () => {
    const app = await installUser();
    await postForm(`${server.url}/rest/event.bind?auth=${app.accessToken}`, 'event=ONCRMDEALADD&event_type=offline');
    await publishEvents(server.url, app.memberId, Array.from({ length: 60 }, (_, i) => ({ event: 'ONCRMDEALADD', data: { FIELDS: { ID: i } } })));
    const reply = await postJson(url(app.accessToken), {
      cmd: {
        page: 'event.offline.list?order[ID]=DESC',
        one: 'event.offline.get?clear=0&filter[ID]=$result[page][0][ID]',
      },
    });
    const batch = reply.body.result as Batch & { result: Record<string, unknown>; result_total: Record<string, number>; result_next: Record<string, number> };
    expect(batch.result_total).toEqual({ page: 60 });
    expect(batch.result_next).toEqual({ page: 50 });
    const newest = (batch.result.page as Record<string, string>[])[0]!.ID;
    expect((batch.result.one as { events: Record<string, string>[] }).events.map((e) => e.ID)).toEqual([newest]);
  });

  it('refuses more than 50 commands and a missing cmd with ERROR_ARGUMENT', async () => {
    const app = await installUser();
    const tooMany = await postJson(url(app.accessToken), { cmd: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`c${i}`, 'event.get'])) });
    expect(tooMany).toMatchObject({ status: 400, body: { error: 'ERROR_ARGUMENT' } });
    expect(await postJson(url(app.accessToken), {})).toMatchObject({ status: 400, body: { error: 'ERROR_ARGUMENT' } });
    expect(await postJson(url(app.accessToken), { cmd: { a: 42 } })).toMatchObject({ status: 200, body: { result: { result_error: { a: { error: 'ERROR_ARGUMENT' } } } } });
  });
});
