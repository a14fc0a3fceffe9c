import { restMethods } from '../../lambdas/method-list';
import { get, installUser, postForm, postJson, startTestServer, type InstalledUser, type TestServer } from '../support/fixtures';

/**
 * docs/core-methods.md: scope, methods, app.info, profile, feature.get, server.time answer from the
 * caller's own installation, user and the clock, in Bitrix24's shapes; bad parameters are
 * Bitrix-style errors; nothing of another application or portal shows.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const call = (user: InstalledUser, method: string, params: Record<string, unknown> = {}) => postJson(`${server.url}/rest/${method}?auth=${user.accessToken}`, params);

describe('core methods', () => {
  let admin: InstalledUser;
  let member: InstalledUser;
  let other: InstalledUser;
  beforeAll(async () => {
    admin = await installUser({ userId: 1, admin: true, scopes: ['crm', 'user'], status: 'P' });
    member = await installUser({ memberId: admin.memberId, clientId: admin.clientId, userId: 17, admin: false });
    other = await installUser({ memberId: admin.memberId, userId: 1, admin: true, scopes: ['task'] }); // another application, same portal
  });

  it('scope: the installation’s granted scopes; full=true every scope the service knows', async () => {
    expect((await call(admin, 'scope')).body.result).toEqual(['crm', 'user']);
    expect((await call(other, 'scope')).body.result).toEqual(['task']);
    const full = (await call(admin, 'scope', { full: true })).body.result as string[];
    expect(full).toEqual(expect.arrayContaining(['crm', 'task', 'user']));
    expect(full).not.toContain('global');
  });

  it('methods: every method this service serves (all in basic); scope=user none; scope= all', async () => {
    const all = restMethods().map((m) => m.name).sort();
    expect((await call(admin, 'methods')).body.result).toEqual(all);
    expect((await call(admin, 'methods', { full: 1 })).body.result).toEqual(all);
    expect((await call(admin, 'methods', { scope: 'user' })).body.result).toEqual([]);
    expect((await get(`${server.url}/rest/methods?scope=&auth=${admin.accessToken}`)).body.result).toEqual(all);
    expect(all).toEqual(expect.arrayContaining(['event.bind', 'event.offline.get', 'batch', 'scope', 'methods', 'app.info', 'profile', 'feature.get', 'server.time']));
  });

  it('app.info: Bitrix24’s keys for the calling installation, the same for every user of it', async () => {
    const info = (await call(admin, 'app.info')).body.result as Record<string, unknown>;
    expect(info).toEqual({
      ID: expect.any(Number),
      CODE: admin.clientId,
      VERSION: 1,
      STATUS: 'P',
      INSTALLED: true,
      PAYMENT_EXPIRED: 'N',
      DAYS: null,
      LANGUAGE_ID: 'en',
      LICENSE: 'en_selfhosted',
      LICENSE_TYPE: 'selfhosted',
      LICENSE_FAMILY: 'selfhosted',
    });
    expect((await call(member, 'app.info')).body.result).toEqual(info);
    const theirs = (await call(other, 'app.info')).body.result as Record<string, unknown>;
    expect(theirs.CODE).toBe(other.clientId);
    expect(theirs.ID).not.toBe(info.ID);
  });

  it('profile: the caller’s ID and ADMIN, names empty', async () => {
    expect((await call(admin, 'profile')).body.result).toEqual({ ID: '1', ADMIN: true, NAME: '', LAST_NAME: '', PERSONAL_GENDER: '', TIME_ZONE: '' });
    expect((await call(member, 'profile')).body.result).toMatchObject({ ID: '17', ADMIN: false });
  });

  it('feature.get: offline events and auth_connector available, an unknown code not', async () => {
    expect((await call(admin, 'feature.get', { CODE: 'rest_offline_extended' })).body.result).toEqual({ value: 'Y' });
    expect((await postForm(`${server.url}/rest/feature.get?auth=${admin.accessToken}`, 'code=rest_auth_connector')).body.result).toEqual({ value: 'Y' });
    expect((await call(admin, 'feature.get', { CODE: 'something_else' })).body.result).toEqual({ value: 'N' });
  });

  it('server.time: the clock as YYYY-MM-DDThh:mm:ss+00:00', async () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const result = (await call(admin, 'server.time')).body.result as string;
    expect(result).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$/);
    expect(Date.parse(result)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(result)).toBeLessThanOrEqual(Date.now());
  });

  it.each([
    ['scope', { full: 'maybe' }, 'ERROR_ARGUMENT'],
    ['scope', { full: { nested: 1 } }, 'ERROR_ARGUMENT'],
    ['methods', { scope: 'x'.repeat(33) }, 'ERROR_ARGUMENT'],
    ['methods', { scope: ['crm'] }, 'ERROR_ARGUMENT'],
    ['feature.get', { CODE: '' }, 'CODE_EMPTY'],
    ['feature.get', { CODE: ['a', 'b'] }, 'ERROR_ARGUMENT'],
    ['feature.get', { CODE: 'x'.repeat(65) }, 'ERROR_ARGUMENT'],
  ])('%s %j is a Bitrix-style 400 %s', async (method, params, code) => {
    const reply = await call(admin, method, params);
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ error: code, error_description: expect.any(String) });
  });

  it('ignores unknown parameters and parameters naming another tenant; needs a credential', async () => {
    const foreign = { member_id: other.memberId, client_id: other.clientId, user_id: 99, CODE: 'rest_offline_extended' };
    for (const method of ['scope', 'app.info', 'profile', 'server.time', 'methods']) {
      const reply = await call(admin, method, foreign);
      expect(reply.status).toBe(200);
      expect(JSON.stringify(reply.body)).not.toContain(other.clientId);
    }
    expect((await call(admin, 'profile', foreign)).body.result).toMatchObject({ ID: '1' });
    for (const method of ['scope', 'methods', 'app.info', 'profile', 'feature.get', 'server.time']) {
      expect(await get(`${server.url}/rest/${method}`)).toMatchObject({ status: 401, body: { error: 'NO_AUTH_FOUND' } });
    }
  });
});
