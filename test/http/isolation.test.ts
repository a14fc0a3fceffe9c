import { wiring } from '../support/wiring';
import { installUser, postJson, publishEvents, startTestServer, type InstalledUser, type TestServer } from '../support/fixtures';

/**
 * Tenant isolation (docs/limits.md): every query is scoped by the (portal, application) of the
 * credential. An application that names another tenant's portal, application, process or
 * records in its parameters reaches nothing of theirs.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const rest = (user: InstalledUser, method: string, params: Record<string, unknown> = {}) => postJson(`${server.url}/rest/${method}?auth=${user.accessToken}`, params);
const deals = (count: number) => Array.from({ length: count }, (_, i) => ({ event: 'ONCRMDEALUPDATE', data: { FIELDS: { ID: i + 1 } } }));

async function state(user: InstalledUser) {
  const queue = { memberId: user.memberId, clientId: user.clientId, connector: '' };
  return {
    journal: (await wiring().journal.readAll(queue, Date.now())).map((r) => JSON.stringify(r)).sort(),
    bindings: (await wiring().bindings.listByApplication(user.memberId, user.clientId)).map((b) => JSON.stringify(b)).sort(),
  };
}

describe('tenant isolation', () => {
  it('no parameter reaches another portal’s or another application’s bindings, records or processes', async () => {
    const a = await installUser();
    const neighbour = await installUser({ memberId: a.memberId }); // same portal, another application
    const stranger = await installUser(); // another portal
    for (const user of [a, neighbour, stranger]) {
      expect((await rest(user, 'event.bind', { event: 'ONCRMDEALUPDATE', event_type: 'offline' })).status).toBe(200);
      await publishEvents(server.url, user.memberId, deals(6));
    }
    expect((await rest(stranger, 'event.bind', { event: 'ONTASKADD', handler: 'https://stranger.example.com/h' })).status).toBe(200);
    const theirs = await rest(stranger, 'event.offline.get', { clear: 0, limit: 3 });
    const { process_id: theirProcess, events: theirEvents } = theirs.body.result as { process_id: string; events: { ID: string; MESSAGE_ID: string }[] };
    const neighbours = await rest(neighbour, 'event.offline.get', { clear: 0, limit: 2 });
    const neighbourProcess = (neighbours.body.result as { process_id: string }).process_id;
    const before = { neighbour: await state(neighbour), stranger: await state(stranger) };

    const foreign = { member_id: stranger.memberId, client_id: stranger.clientId, MEMBER_ID: stranger.memberId, domain: 'x.example.com' };
    const attempts: [string, Record<string, unknown>][] = [
      ['event.offline.get', { ...foreign, process_id: theirProcess }],
      ['event.offline.get', { ...foreign, process_id: neighbourProcess, clear: 1 }],
      ['event.offline.clear', { ...foreign, process_id: theirProcess }],
      ['event.offline.clear', { process_id: neighbourProcess, message_id: theirEvents.map((e) => e.MESSAGE_ID) }],
      ['event.offline.error', { ...foreign, process_id: theirProcess, message_id: theirEvents.map((e) => e.MESSAGE_ID) }],
      ['event.offline.list', { ...foreign, filter: { PROCESS_ID: theirProcess } }],
      ['event.offline.list', { filter: { ID: theirEvents[0]!.ID } }],
      ['event.unbind', { ...foreign, event: 'ONTASKADD', handler: 'https://stranger.example.com/h' }],
      ['event.unbind', { ...foreign, event: 'ONCRMDEALUPDATE', event_type: 'offline', auth_connector: '' }],
      ['event.get', foreign],
      ['batch', { ...foreign, cmd: { a: `event.offline.clear?process_id=${theirProcess}&member_id=${stranger.memberId}`, b: `event.unbind?event=ONTASKADD&handler=https://stranger.example.com/h&client_id=${stranger.clientId}` } }],
    ];
    const answers: Record<string, unknown>[] = [];
    for (const [method, params] of attempts) {
      const answer = await rest(a, method, params);
      expect(answer.status).toBeLessThan(500);
      answers.push({ method, status: answer.status, result: answer.body.result });
    }
    // What a saw: only its own things.
    expect(answers[0]).toMatchObject({ status: 200, result: { events: [] } });
    expect(answers[1]).toMatchObject({ status: 200, result: { events: [] } });
    expect(answers[5]).toMatchObject({ status: 200, result: [] });
    expect(answers[6]).toMatchObject({ status: 200, result: [] });
    expect(answers[7]).toMatchObject({ status: 200, result: { count: 0 } });
    // The offline unbind named the stranger but removed a's own binding, the only one it can reach.
    expect(answers[8]).toMatchObject({ status: 200, result: { count: 1 } });
    expect(answers[9]).toMatchObject({ status: 200, result: [] });

    // What the others have: exactly what they had, and their processes still answer to them.
    expect(await state(neighbour)).toEqual(before.neighbour);
    expect(await state(stranger)).toEqual(before.stranger);
    const reread = await rest(stranger, 'event.offline.get', { process_id: theirProcess });
    expect((reread.body.result as { events: { ID: string }[] }).events.map((e) => e.ID)).toEqual(theirEvents.map((e) => e.ID));
  });

  it('event.delivery.list, resend and enable never show or touch another application’s or portal’s deliveries', async () => {
    const a = await installUser();
    const neighbour = await installUser({ memberId: a.memberId }); // same portal, another application
    const stranger = await installUser(); // another portal
    const row = (user: InstalledUser, n: number) => ({
      memberId: user.memberId,
      clientId: user.clientId,
      bindingId: 1,
      event: 'ONCRMDEALADD',
      handler: `https://h${n}.example.com/h`,
      deliveryId: `msg_00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
      attempt: 1,
      status: 500,
      latencyMs: 3,
      ok: false,
      error: 'HTTP 500',
      at: Date.now() - 1000,
      outcome: 'failed' as const,
      userId: 0,
      data: { FIELDS: { ID: n } },
      ts: Math.floor(Date.now() / 1000),
    });
    await wiring().deliveryLog.recordAttempt(row(neighbour, 1));
    await wiring().deliveryLog.recordAttempt(row(stranger, 2));
    const theirIds = [row(neighbour, 1).deliveryId, row(stranger, 2).deliveryId];
    const foreign = { member_id: stranger.memberId, client_id: stranger.clientId, MEMBER_ID: stranger.memberId };

    for (const params of [{}, foreign, { filter: { STATUS: 'failed' }, ...foreign }, { filter: { HANDLER: 'https://h2.example.com/h' } }, { start: 0, filter: { EVENT_NAME: 'ONCRMDEALADD' } }]) {
      const list = await rest(a, 'event.delivery.list', params);
      expect([list.status, list.body.result, list.body.total]).toEqual([200, [], 0]);
    }
    for (const params of [{ id: theirIds[0] }, { id: theirIds[1], ...foreign }, { id: theirIds }]) {
      const resend = await rest(a, 'event.delivery.resend', params);
      expect([resend.status, resend.body.error]).toEqual([400, 'ERROR_ARGUMENT']);
    }
    for (const params of [{ filter: { STATUS: 'failed' } }, { filter: { STATUS: ['failed', 'dropped'], '>=DATE_CREATE': '2020-01-01T00:00:00Z' }, ...foreign }]) {
      const resend = await rest(a, 'event.delivery.resend', params);
      expect([resend.status, resend.body.result]).toEqual([200, { count: 0 }]);
    }
    const enable = await rest(a, 'event.delivery.enable', { handler: 'https://h2.example.com/h', ...foreign });
    expect([enable.status, enable.body.error]).toEqual([400, 'ERROR_ARGUMENT']);
    // Their owners still see exactly their own.
    const theirs = await rest(stranger, 'event.delivery.list', {});
    expect((theirs.body.result as { ID: string }[]).map((r) => r.ID)).toEqual([theirIds[1]]);
  });

  it('a webhook path and an access token of two tenants in one request: the path decides, alone', async () => {
    const a = await installUser();
    const b = await installUser();
    expect((await rest(b, 'event.bind', { event: 'ONTASKADD', handler: 'https://b.example.com/h' })).status).toBe(200);
    const mixed = await postJson(`${server.url}${new URL(a.webhookUrl).pathname}event.get?auth=${b.accessToken}`, { auth: b.accessToken, access_token: b.accessToken });
    expect(mixed).toMatchObject({ status: 200, body: { result: [] } });
  });
});
