import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashSecret } from '../../lambdas/domain/credentials';
import { install } from '../../lambdas/usecases/installations';
import { wiring } from '../support/wiring';
import { startDeliveryHarness, type DeliveryHarness } from '../support/delivery-harness';
import { request } from 'node:https';
import { TEST_PRODUCER_KEY } from '../support/constants';
import { installUser, newClientId, newMemberId, startTestServer, type InstalledUser } from '../support/fixtures';

/**
 * The PHP world, unchanged: Bitrix24's CRest (bitrix-tools/crest 1.36, read from
 * ../shared/clients/crest/src/ relative to the repository root, never copied) run by php-cli
 * against the local stack over HTTPS, in webhook mode and in application mode, with handlers
 * served by `php -S` that read $_REQUEST, check application_token and call back through
 * CRest. PHP's curl trusts the test certificate through `curl.cainfo`; CRest's code is not
 * touched (test/php/app/hub-crest.php only sends the token refresh to this service).
 */
const ROOT = join(__dirname, '..', '..');
const APP = join(__dirname, 'app');
const TLS = join(ROOT, 'test', 'support', 'tls');
const PHP_INI = ['-d', `curl.cainfo=${join(TLS, 'localhost.crt')}`, '-d', 'display_errors=stderr'];

jest.setTimeout(60_000);

let harness: DeliveryHarness;
let phpServer: ChildProcess;
let phpLog = '';
let phpUrl: string;
let dir: string;
let origin: string;
const savedPublicUrl = process.env.PUBLIC_URL;

const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

beforeAll(async () => {
  // The service's public URL is the HTTPS front this file starts: client_endpoint and
  // server_endpoint in deliveries and tokens point at it.
  const port = await freePort();
  origin = `https://127.0.0.1:${port}`;
  process.env.PUBLIC_URL = origin;
  harness = await startDeliveryHarness({ server: { port, tls: { cert: readFileSync(join(TLS, 'localhost.crt')), key: readFileSync(join(TLS, 'localhost.key')) } } });

  dir = mkdtempSync(join(tmpdir(), 'crest-'));
  writeConfig({});
  const phpPort = await freePort();
  phpUrl = `http://127.0.0.1:${phpPort}`;
  phpServer = spawn('php', [...PHP_INI, '-S', `127.0.0.1:${phpPort}`, '-t', APP], { env: { ...process.env, B24_TEST_DIR: dir } });
  phpServer.stderr!.on('data', (chunk: Buffer) => (phpLog += chunk.toString()));
  for (let i = 0; i < 100; i++) {
    if (await fetch(`${phpUrl}/missing.php`).then(() => true, () => false)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
});

afterAll(async () => {
  if (phpServer.exitCode === null) {
    const exited = new Promise((r) => phpServer.once('exit', r));
    phpServer.kill();
    await exited;
  }
  await harness.close();
  process.env.PUBLIC_URL = savedPublicUrl;
  rmSync(dir, { recursive: true, force: true });
});

/** A POST to the HTTPS front, trusting the test certificate (Node's fetch takes no CA). */
function post(path: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${origin}${path}`, { method: 'POST', ca: readFileSync(join(TLS, 'localhost.crt')), headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Publishes as the producer. */
const publishEvents = async (memberId: string, events: unknown[]) => {
  const reply = await post('/producer/events', JSON.stringify({ member_id: memberId, events }), { 'content-type': 'application/json', authorization: `Bearer ${TEST_PRODUCER_KEY}` });
  expect(reply.status).toBe(200);
};

let config: Record<string, unknown> = {};
/** What settings.php would hold, for test/php/app/bootstrap.php. */
function writeConfig(patch: Record<string, unknown>): void {
  config = { oauth_url: `${origin}/oauth/token/`, ...config, ...patch };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
}

type Step = { method: string; params?: unknown } | { batch: Record<string, { method: string; params?: unknown }>; halt?: number };
type CrestResult = { result?: unknown; error?: string; error_description?: string; error_information?: string; total?: number; time?: unknown };

/** Runs the application's code (test/php/app/client.php) with php-cli: CRest calls in order. */
function crest(mode: 'webhook' | 'app', steps: Step[]): Promise<CrestResult[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('php', [...PHP_INI, join(APP, 'client.php')], { env: { ...process.env, B24_TEST_DIR: dir, B24_MODE: mode } });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => {
      try {
        resolve(JSON.parse(out) as CrestResult[]);
      } catch {
        reject(new Error(`php client exited ${code}: ${out} ${err}`));
      }
    });
    child.stdin.end(JSON.stringify(steps));
  });
}

type Entry = { script: string; mode?: string; event?: string; data?: unknown; auth_keys?: string[]; checks?: Record<string, boolean>; profile?: CrestResult; drained?: CrestResult; install?: Record<string, unknown>; refused?: boolean };
const received = (): Entry[] => (existsSync(join(dir, 'received.jsonl')) ? readFileSync(join(dir, 'received.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Entry) : []);

async function waitFor(what: string, predicate: (e: Entry) => boolean, timeoutMs = 20_000): Promise<Entry> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = received().find(predicate);
    if (found) return found;
    if (Date.now() > until) throw new Error(`no ${what} in ${JSON.stringify(received())}\n${phpLog.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The producer event of the issue: booleans, null and an empty list as Bitrix24's PHP would send them. */
const dealAdd = (id: number) => ({ event: 'ONCRMDEALADD', user_id: 1, data: { FIELDS: { ID: id, YES: true, NO: false, NOTHING: null, EMPTY: [], TITLE: 'Ünïcödé & <deal> + 100%' } } });

describe('docs/php.md', () => {
  it('shows the HubCRest class this suite runs, line for line', () => {
    const classOf = (text: string) => text.slice(text.indexOf('class HubCRest extends CRest')).split('\n}\n')[0];
    expect(classOf(readFileSync(join(ROOT, 'docs', 'php.md'), 'utf8'))).toBe(classOf(readFileSync(join(APP, 'hub-crest.php'), 'utf8')));
  });
});

describe('CRest in webhook mode (C_REST_WEB_HOOK_URL)', () => {
  let app: InstalledUser;
  beforeAll(async () => {
    app = await installUser({ userId: 1, admin: true });
    writeConfig({ webhook_url: app.webhookUrl, application_token: app.applicationToken });
  });

  it('calls profile, binds, and a PHP handler receives the event in $_REQUEST the way Bitrix24 sends it', async () => {
    expect(app.webhookUrl.startsWith(`${origin}/rest/1/`)).toBe(true);
    const [profile, bound, offline, list] = await crest('webhook', [
      { method: 'profile' },
      { method: 'event.bind', params: { event: 'ONCRMDEALADD', handler: `${phpUrl}/handler.php?mode=webhook` } },
      { method: 'event.bind', params: { event: 'ONCRMDEALUPDATE', event_type: 'offline' } },
      { method: 'event.get' },
    ]);
    expect(profile!.result).toEqual({ ID: '1', ADMIN: true, NAME: '', LAST_NAME: '', PERSONAL_GENDER: '', TIME_ZONE: '' });
    expect(bound!.result).toBe(true);
    expect(offline!.result).toBe(true);
    expect(list!.result).toHaveLength(2);

    await publishEvents(app.memberId, [dealAdd(7405)]);
    const got = await waitFor('ONCRMDEALADD', (e) => e.event === 'ONCRMDEALADD' && e.mode === 'webhook');
    expect(got.checks).toEqual({ yes_is_1: true, no_is_0: true, nothing_unset: true, empty_unset: true });
    expect(got.data).toEqual({ FIELDS: { ID: '7405', YES: '1', NO: '0', TITLE: 'Ünïcödé & <deal> + 100%' } });
    expect(got.auth_keys).toEqual(expect.arrayContaining(['access_token', 'domain', 'member_id', 'application_token', 'client_endpoint', 'server_endpoint', 'status']));
    expect(got.profile!.result).toMatchObject({ ID: '1' }); // the handler called back through CRest
  });

  it('works over plain http too: nothing in CRest’s calls asks for https', async () => {
    const plain = await startTestServer();
    try {
      writeConfig({ webhook_url: app.webhookUrl.replace(origin, plain.url) });
      const [profile] = await crest('webhook', [{ method: 'profile' }]);
      expect(profile!.result).toMatchObject({ ID: '1', ADMIN: true });
    } finally {
      writeConfig({ webhook_url: app.webhookUrl });
      await plain.close();
    }
  });

  it('drains offline events: get with clear=0, clear, list', async () => {
    await publishEvents(app.memberId, [1, 2, 1, 3].map((id) => ({ event: 'ONCRMDEALUPDATE', data: { FIELDS: { ID: id } } })));
    const [reserved] = await crest('webhook', [{ method: 'event.offline.get', params: { clear: 0, limit: 10, order: { ID: 'ASC' } } }]);
    const { process_id, events } = reserved!.result as { process_id: string; events: { ID: string; EVENT_DATA: { FIELDS: { ID: number } } }[] };
    expect(events.map((e) => e.EVENT_DATA.FIELDS.ID)).toEqual([1, 2, 3]); // deal 1 merged
    const [cleared, left] = await crest('webhook', [{ method: 'event.offline.clear', params: { process_id, id: [events[0]!.ID] } }, { method: 'event.offline.list' }]);
    expect(cleared!.result).toBe(true);
    expect((left!.result as { ID: string; PROCESS_ID: string }[]).map((r) => r.PROCESS_ID)).toEqual([process_id, process_id]);
    expect(left!.total).toBe(2);
    const [done, empty] = await crest('webhook', [{ method: 'event.offline.clear', params: { process_id } }, { method: 'event.offline.list' }]);
    expect(done!.result).toBe(true);
    expect(empty!.result).toEqual([]);
  });

  it('runs CRest::callBatch, with references to earlier results and halt', async () => {
    const [batch] = await crest('webhook', [
      {
        batch: {
          bound: { method: 'event.get' },
          feature: { method: 'feature.get', params: { CODE: 'rest_offline_extended' } },
          scopes: { method: 'scope' },
          first: { method: 'events', params: { SCOPE: '$result[scopes][0]' } },
        },
        halt: 1,
      },
    ]);
    const result = batch!.result as { result: Record<string, unknown>; result_error: unknown };
    expect(result.result.bound).toHaveLength(2);
    expect(result.result.feature).toEqual({ value: 'Y' });
    expect(result.result.first).toEqual(expect.arrayContaining(['ONCRMDEALADD']));
    expect(result.result_error).toEqual([]);

    const [halted] = await crest('webhook', [{ batch: { bad: { method: 'event.bind', params: { event: 'ONNOTHING', handler: 'https://h.example.com/' } }, never: { method: 'event.get' } }, halt: 1 }]);
    const h = halted!.result as { result: Record<string, unknown>; result_error: Record<string, { error: string }> };
    expect(h.result_error.bad!.error).toBe('ERROR_EVENT_NOT_FOUND');
    expect(h.result.never).toBeUndefined();
  });

  it('gets Bitrix24’s errors, with CRest’s own explanations', async () => {
    const [unknownEvent, unknownMethod, noProcess, wrongUrl] = await crest('webhook', [
      { method: 'event.bind', params: { event: 'ONNOTHING', handler: 'https://h.example.com/' } },
      { method: 'crm.deal.list' },
      { method: 'event.offline.clear' },
      { method: 'event.bind', params: { event: 'ONCRMDEALADD', handler: 'ftp://h.example.com/' } },
    ]);
    expect(unknownEvent).toMatchObject({ error: 'ERROR_EVENT_NOT_FOUND' });
    expect(unknownMethod).toMatchObject({ error: 'ERROR_METHOD_NOT_FOUND', error_information: expect.stringContaining("CRest::call('scope')") });
    expect(noProcess).toMatchObject({ error: 'ERROR_ARGUMENT', error_description: "Argument 'PROCESS_ID' is null or empty" });
    expect(wrongUrl).toMatchObject({ error: 'ERROR_UNSUPPORTED_PROTOCOL' });
  });
});

describe('CRest in application mode (C_REST_CLIENT_ID, C_REST_CLIENT_SECRET, installApp())', () => {
  const memberId = newMemberId();
  const clientId = newClientId();
  const clientSecret = randomBytes(24).toString('base64url');

  beforeAll(async () => {
    writeConfig({ client_id: clientId, client_secret: clientSecret });
    const w = wiring();
    const deps = { registry: w.registry, bindings: w.bindings, journal: w.journal, publicUrl: w.config.PUBLIC_URL, accessTokenTtl: 3600, refreshTokenTtl: 86400, deliveries: w.deliveries };
    const out = await install(deps, { memberId, domain: 'php.example.com', clientId, clientSecret, userId: 1, admin: true, installHandler: `${phpUrl}/install.php` }, Date.now());
    expect(out.install_event).toBe('queued');
  });

  const settings = () => JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8')) as Record<string, string>;

  it('installs: ONAPPINSTALL reaches install.php and CRest::installApp() keeps the tokens', async () => {
    const got = await waitFor('ONAPPINSTALL', (e) => e.script === 'install');
    expect(got.event).toBe('ONAPPINSTALL');
    expect(got.install).toEqual({ rest_only: true, install: true });
    expect(got.data).toEqual({ VERSION: '1', ACTIVE: 'Y', INSTALLED: 'Y', LANGUAGE_ID: 'en' });
    expect(settings()).toMatchObject({ client_endpoint: `${origin}/rest/`, server_endpoint: `${origin}/oauth/`, member_id: memberId, domain: 'php.example.com' });
    const [profile, info, scope] = await crest('app', [{ method: 'profile' }, { method: 'app.info' }, { method: 'scope' }]);
    expect(profile!.result).toMatchObject({ ID: '1', ADMIN: true });
    expect(info!.result).toMatchObject({ CODE: clientId, INSTALLED: true, STATUS: 'L' });
    expect(scope!.result).toEqual(['crm', 'task', 'user']);
  });

  it('binds, receives online events and ONOFFLINEEVENT, and the handler drains the queue through CRest', async () => {
    const handler = `${phpUrl}/handler.php?mode=app`;
    const results = await crest('app', [
      { method: 'event.bind', params: { event: 'ONCRMDEALADD', handler } },
      { method: 'event.bind', params: { event: 'ONOFFLINEEVENT', handler, options: { minTimeout: 0 } } },
      { method: 'event.bind', params: { event: 'ONCRMDEALUPDATE', event_type: 'offline' } },
    ]);
    expect(results.map((r) => r.result)).toEqual([true, true, true]);

    await publishEvents(memberId, [dealAdd(11), { event: 'ONCRMDEALUPDATE', user_id: 1, data: { FIELDS: { ID: 11 } } }]);
    const online = await waitFor('ONCRMDEALADD', (e) => e.event === 'ONCRMDEALADD' && e.mode === 'app');
    expect(online.checks).toEqual({ yes_is_1: true, no_is_0: true, nothing_unset: true, empty_unset: true });
    const notified = await waitFor('ONOFFLINEEVENT', (e) => e.event === 'ONOFFLINEEVENT');
    expect(notified.auth_keys).toEqual(expect.arrayContaining(['access_token', 'refresh_token', 'application_token']));
    expect(notified.drained!.result).toMatchObject({ process_id: null, events: [{ EVENT_NAME: 'ONCRMDEALUPDATE', EVENT_DATA: { FIELDS: { ID: 11 } } }] });
    expect(received().some((e) => e.refused)).toBe(false);
  });

  it('refreshes an expired token at the service’s /oauth/token/ (C_REST_OAUTH_URL) and repeats the call', async () => {
    // An access token that has expired, as an hour after install.
    const installation = (await wiring().registry.getInstallation(memberId, clientId))!;
    const expired = randomBytes(32).toString('hex');
    await wiring().registry.putCredential(hashSecret(expired), { kind: 'access', memberId, clientId, userId: 1, admin: true, generation: installation.generation, expiresAt: Math.floor(Date.now() / 1000) - 60 });
    const before: Record<string, string> = { ...settings(), access_token: expired };
    writeFileSync(join(dir, 'settings.json'), JSON.stringify(before));

    const [bindings] = await crest('app', [{ method: 'event.get' }]);
    expect(bindings!.error).toBeUndefined();
    expect(bindings!.result).toHaveLength(3);
    const after = settings();
    expect(after.access_token).not.toBe(expired);
    expect(after.refresh_token).not.toBe(before.refresh_token);
    expect(after.client_endpoint).toBe(`${origin}/rest/`);
    // The new token works; the used refresh token does not work twice.
    const [again] = await crest('app', [{ method: 'server.time' }]);
    expect(again!.result).toMatch(/\+00:00$/);
    const reused = await post('/oauth/token/', new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, client_secret: clientSecret, refresh_token: before.refresh_token! }).toString(), { 'content-type': 'application/x-www-form-urlencoded' });
    expect(reused).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('refuses a delivery whose application_token is not the installed application’s', async () => {
    const stranger = await installUser({ memberId, domain: 'php.example.com', userId: 1, admin: true });
    // Another application of the portal binds the application's handler URL: its deliveries carry its own token.
    writeConfig({ webhook_url: stranger.webhookUrl });
    const [ok] = await crest('webhook', [{ method: 'event.bind', params: { event: 'ONCRMDEALADD', handler: `${phpUrl}/handler.php?mode=app` } }]);
    expect(ok!.result).toBe(true);
    await publishEvents(memberId, [dealAdd(12)]);
    await waitFor('a refused delivery', (e) => e.refused === true);
  });
});
