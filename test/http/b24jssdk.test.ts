import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ApiVersion, B24Hook } from '@bitrix24/b24jssdk';
import { MAX_EVENTS_PER_PUBLISH } from '../../lambdas/wire/producer';
import { wiring } from '../support/wiring';
import { createLocalServer } from '../../local/server';
import { TEST_PRODUCER_KEY } from '../support/constants';
import { installUser, type InstalledUser } from '../support/fixtures';

/**
 * The real client, unchanged: `@bitrix24/b24jssdk`'s `B24Hook` drives the local HTTP front over
 * HTTPS with the test certificate (B24Hook refuses plain http). Only the certificate authority is
 * configured on the SDK's own axios client; everything it sends (JSON bodies, `bx24_request_id`
 * and friends in the query, `start=-1` paging, batch envelopes) reaches the service as it is.
 */
const TLS_DIR = join(__dirname, '..', 'support', 'tls');
const cert = readFileSync(join(TLS_DIR, 'localhost.crt'));
const key = readFileSync(join(TLS_DIR, 'localhost.key'));

let origin: string;
let closeServer: () => Promise<void>;
beforeAll(async () => {
  const server = createLocalServer({ maxBodyBytes: wiring().config.MAX_BODY_BYTES, tls: { cert, key } });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  closeServer = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
});
afterAll(() => closeServer());

/** A B24Hook for the user's incoming webhook, pointed at the local HTTPS front. */
function hookFor(user: InstalledUser, secret?: string, restrictionParams?: { softErrorCodes: string[] }): B24Hook {
  const path = new URL(user.webhookUrl).pathname; // /rest/{userId}/{secret}/
  const url = `${origin}${secret === undefined ? path.replace(/\/$/, '') : `/rest/${user.userId}/${secret}`}`;
  const hook = B24Hook.fromWebhookUrl(url, restrictionParams ? { restrictionParams } : undefined);
  hook.offClientSideWarning();
  const agent = new Agent({ ca: cert, keepAlive: true });
  for (const version of [ApiVersion.v2, ApiVersion.v3]) hook.getHttpClient(version).ajaxClient.defaults.httpsAgent = agent;
  return hook;
}

async function call<T = unknown>(hook: B24Hook, method: string, params: Record<string, unknown> = {}): Promise<{ result: T; total?: number; next?: number }> {
  const response = await hook.actions.v2.call.make<T>({ method, params });
  if (!response.isSuccess) throw new Error(`${method}: ${response.getErrorMessages().join('; ')}`);
  return response.getData() as { result: T; total?: number; next?: number };
}

type Listed = { ID: string; EVENT_NAME: string; EVENT_DATA: { FIELDS: { ID: number } }; PROCESS_ID: string; ERROR: string };

describe('@bitrix24/b24jssdk B24Hook against the local runtime over HTTPS', () => {
  it('binds, lists and unbinds handlers with call.make (JSON bodies and the SDK query parameters)', async () => {
    const user = await installUser();
    const hook = hookFor(user);

    const events = await call<string[]>(hook, 'events', { SCOPE: 'crm' });
    expect(events.result).toEqual(expect.arrayContaining(['ONCRMDEALADD', 'ONCRMDEALUPDATE']));

    expect((await call(hook, 'event.bind', { event: 'ONCRMDEALUPDATE', event_type: 'offline' })).result).toBe(true);
    expect((await call(hook, 'event.bind', { event: 'onCrmDealAdd', handler: 'https://hooks.example.com/deal', auth_type: 1 })).result).toBe(true);
    const bound = await call<Record<string, unknown>[]>(hook, 'event.get');
    expect(bound.result).toEqual(
      expect.arrayContaining([
        { event: 'ONCRMDEALUPDATE', connector_id: '', offline: 1 },
        expect.objectContaining({ event: 'ONCRMDEALADD', handler: 'https://hooks.example.com/deal', auth_type: '1', offline: 0 }),
      ]),
    );
    expect(bound.result).toHaveLength(2);

    expect((await call(hook, 'event.unbind', { event: 'ONCRMDEALADD', handler: 'https://hooks.example.com/deal' })).result).toEqual({ count: 1 });
    expect((await call<unknown[]>(hook, 'event.get')).result).toEqual([{ event: 'ONCRMDEALUPDATE', connector_id: '', offline: 1 }]);
  });

  it('pages event.offline.list with callList and fetchList (filter >ID, start=-1) and callListMethod (start/next)', async () => {
    const user = await installUser();
    const hook = hookFor(user);
    await call(hook, 'event.bind', { event: 'ONCRMDEALUPDATE', event_type: 'offline' });
    await publishDeals(user.memberId, 120);

    const all = await hook.actions.v2.callList.make<Listed>({ method: 'event.offline.list', params: {}, idKey: 'ID' });
    expect(all.isSuccess).toBe(true);
    const rows = all.getData() as Listed[];
    expect(rows).toHaveLength(120);
    expect(new Set(rows.map((r) => r.ID)).size).toBe(120);
    expect(rows.map((r) => r.EVENT_DATA.FIELDS.ID).sort((a, b) => a - b)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));

    const pages: number[] = [];
    const seen = new Set<string>();
    for await (const page of hook.actions.v2.fetchList.make<Listed>({ method: 'event.offline.list', params: {}, idKey: 'ID' })) {
      pages.push(page.length);
      for (const row of page) seen.add(row.ID);
    }
    expect(pages).toEqual([50, 50, 20]);
    expect(seen).toEqual(new Set(rows.map((r) => r.ID)));

    // The older helper pages with start/next, reading `total` and `next` from each answer.
    const progress: number[] = [];
    const deprecation = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const legacy = await hook.callListMethod('event.offline.list', { order: { ID: 'DESC' } }, (percent: number) => progress.push(percent));
    expect(deprecation).toHaveBeenCalledWith(expect.stringContaining('callListMethod() method is deprecated'), expect.anything());
    deprecation.mockRestore();
    expect(legacy.isSuccess).toBe(true);
    expect((legacy.getData() as Listed[]).map((r) => r.ID)).toEqual(rows.map((r) => r.ID).reverse());
    expect(progress.at(-1)).toBe(100);

    // A filter the caller adds is kept next to the SDK's cursor (`>ID` itself is the cursor's).
    const some = await hook.actions.v2.callList.make<Listed>({ method: 'event.offline.list', params: { filter: { '>=ID': rows[100]!.ID } }, idKey: 'ID' });
    expect((some.getData() as Listed[]).map((r) => r.ID)).toEqual(rows.slice(100).map((r) => r.ID));
  });

  it('reserves with event.offline.get clear=0, reports an error and clears by process_id', async () => {
    const user = await installUser();
    const hook = hookFor(user);
    await call(hook, 'event.bind', { event: 'ONCRMDEALUPDATE', event_type: 'offline' });
    await publishDeals(user.memberId, 5);

    const reserved = await call<{ process_id: string; events: { ID: string; MESSAGE_ID: string }[] }>(hook, 'event.offline.get', { clear: 0, limit: 3 });
    expect(reserved.result.process_id).toMatch(/^[0-9a-z]{32}$/);
    expect(reserved.result.events).toHaveLength(3);
    const ids = reserved.result.events.map((e) => e.ID);

    const failed = reserved.result.events[0]!.MESSAGE_ID;
    expect((await call(hook, 'event.offline.error', { process_id: reserved.result.process_id, message_id: [failed] })).result).toBe(true);
    // The failed record went back to the queue as an error record; the other two stay reserved.
    const reservedNow = await call<Listed[]>(hook, 'event.offline.list', { filter: { PROCESS_ID: reserved.result.process_id } });
    expect(reservedNow.result.map((r) => r.ID)).toEqual(ids.slice(1));
    const errorRecords = await call<Listed[]>(hook, 'event.offline.list', { filter: { ERROR: 1 } });
    expect(errorRecords.result.map((r) => r.ID)).toEqual([ids[0]]);

    expect((await call(hook, 'event.offline.clear', { process_id: reserved.result.process_id, id: ids.slice(1) })).result).toBe(true);
    const rest = await call<{ events: { ID: string }[] }>(hook, 'event.offline.get', { clear: 1 });
    // The two never-claimed records come out; the one reported as an error stays with its process.
    expect(rest.result.events).toHaveLength(2);
    expect(rest.result.events.map((e) => e.ID)).not.toContain(ids[0]);
    expect((await call<Listed[]>(hook, 'event.offline.list')).result.map((r) => [r.ID, r.ERROR])).toEqual([[ids[0], '1']]);
    const retried = await call<{ events: { ID: string }[] }>(hook, 'event.offline.get', { error: 1, clear: 1 });
    expect(retried.result.events.map((e) => e.ID)).toEqual([ids[0]]);
    expect((await call<Listed[]>(hook, 'event.offline.list')).result).toEqual([]);
  });

  it('runs batch.make with named and array commands, halting on the first error when asked', async () => {
    const user = await installUser();
    const hook = hookFor(user);
    await call(hook, 'event.bind', { event: 'ONCRMDEALUPDATE', event_type: 'offline' });
    await publishDeals(user.memberId, 3);

    const named = await hook.actions.v2.batch.make({
      calls: {
        bound: { method: 'event.get', params: {} },
        listed: ['event.offline.list', { order: { ID: 'DESC' } }],
        bind: ['event.bind', { event: 'ONCRMDEALADD', handler: 'https://hooks.example.com/add' }],
      },
      options: { isHaltOnError: true },
    });
    expect(named.isSuccess).toBe(true);
    const data = named.getData() as Record<string, unknown>;
    expect(data.bound).toEqual([{ event: 'ONCRMDEALUPDATE', connector_id: '', offline: 1 }]);
    expect((data.listed as Listed[]).map((r) => r.EVENT_DATA.FIELDS.ID)).toEqual([3, 2, 1]);
    expect(data.bind).toBe(true);

    const array = await hook.actions.v2.batch.make({ calls: [['event.get', {}], ['events', { SCOPE: 'task' }]], options: { isHaltOnError: false } });
    expect(array.isSuccess).toBe(true);
    expect((array.getData() as unknown[][])[0]).toHaveLength(2);
    expect((array.getData() as unknown[][])[1]).toEqual(expect.arrayContaining(['ONTASKADD']));

    const halted = await hook.actions.v2.batch.make({
      calls: [
        ['event.bind', { event: 'ONNOSUCHEVENT', handler: 'https://hooks.example.com/x' }],
        ['event.unbind', { event: 'ONCRMDEALADD', handler: 'https://hooks.example.com/add' }],
      ],
      options: { isHaltOnError: true },
    });
    expect(halted.isSuccess).toBe(false);
    expect(halted.getErrorMessages().join(' ')).toMatch(/ONNOSUCHEVENT|event/i);
    // halt stopped before the unbind.
    expect((await call<unknown[]>(hook, 'event.get')).result).toHaveLength(2);

    const chunked = await hook.actions.v2.batchByChunk.make({ calls: Array.from({ length: 60 }, () => ['event.get', {}] as [string, Record<string, unknown>]) });
    expect(chunked.isSuccess).toBe(true);
    expect(chunked.getData()).toHaveLength(60);
  });

  it('surfaces service errors with their Bitrix codes and messages: thrown by call.make, failed results in batch', async () => {
    const user = await installUser();
    const hook = hookFor(user);

    // The SDK throws an AjaxError for a 4xx answer; it carries the service's code, text and status.
    await expect(hook.actions.v2.call.make({ method: 'event.bind', params: { event: 'ONNOSUCHEVENT', handler: 'https://hooks.example.com/x' } })).rejects.toMatchObject({
      code: 'ERROR_EVENT_NOT_FOUND',
      message: 'Event not found',
      status: 400,
    });
    await expect(hook.actions.v2.call.make({ method: 'crm.deal.list', params: {} })).rejects.toMatchObject({ code: 'ERROR_METHOD_NOT_FOUND', status: 404 });
    await expect(hookFor(user, 'f'.repeat(32)).actions.v2.call.make({ method: 'event.get', params: {} })).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS', status: 401 });
    await expect(hook.actions.v2.call.make({ method: 'event.offline.get', params: { limit: 'many' } })).rejects.toMatchObject({ code: 'ERROR_ARGUMENT', status: 400 });

    // Codes the application lists as soft come back as failed results instead of exceptions.
    const soft = hookFor(user, undefined, { softErrorCodes: ['ERROR_EVENT_NOT_FOUND'] });
    const failed = await soft.actions.v2.call.make({ method: 'event.bind', params: { event: 'ONNOSUCHEVENT', handler: 'https://hooks.example.com/x' } });
    expect(failed.isSuccess).toBe(false);
    expect(failed.getErrorMessages()).toEqual(['Event not found']);

    // Inside a batch each failed sub-call is a failed result with the sub-call's error.
    const batch = await hook.actions.v2.batch.make({
      calls: { ok: ['event.get', {}], bad: ['event.unbind', { event: 'ONCRMDEALADD' }] },
      options: { isHaltOnError: false, returnAjaxResult: true },
    });
    expect(batch.isSuccess).toBe(false);
    const results = batch.getData() as Record<string, { isSuccess: boolean; getErrorMessages(): string[] }>;
    expect(results.ok!.isSuccess).toBe(true);
    expect(results.bad!.isSuccess).toBe(false);
    expect(results.bad!.getErrorMessages().join(' ')).toMatch(/HANDLER/i);
  });
});

/** The producer publishes deals 1..count (one journal record each) over the same HTTPS front. */
async function publishDeals(memberId: string, count: number): Promise<void> {
  for (let first = 1; first <= count; first += MAX_EVENTS_PER_PUBLISH) {
    const ids = Array.from({ length: Math.min(MAX_EVENTS_PER_PUBLISH, count - first + 1) }, (_, i) => first + i);
    await publish(JSON.stringify({ member_id: memberId, events: ids.map((id) => ({ event: 'ONCRMDEALUPDATE', data: { FIELDS: { ID: id } } })) }));
  }
}

function publish(body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${origin}/producer/events`,
      { method: 'POST', ca: cert, headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_PRODUCER_KEY}` } },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`publish answered ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
