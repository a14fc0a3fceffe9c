import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, QUICK_START_JAVA_OPTIONS } from '../../local/dynamodb';
import { readRuntimeFile } from '../../local/stack';
import { postJson } from '../support/fixtures';
import { developerEnv, killGroup, npmStart, ROOT, type Started } from '../support/npm-start';

/**
 * The REST front as `npm start` runs it (docs/rest-api.md, docs/limits.md): credentials known
 * in memory for AUTH_CACHE_MS, and the per-application bucket spent in leases, still one bucket
 * for every method.
 */
const run = promisify(execFile);
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const AUTH_CACHE_MS = 2000;
// A bucket that drains one request per 100 s: nothing drains while a test runs, however slow the machine.
const LIMITS = { RATE_LIMIT_PER_SECOND: '0.01', RATE_LIMIT_BURST: '30', RATE_LIMIT_LEASE: '3' };
const ENV = { DYNAMODB_LOCAL_JAVA_OPTIONS: QUICK_START_JAVA_OPTIONS, AUTH_CACHE_MS: String(AUTH_CACHE_MS), ...LIMITS };

let dir: string;
let stack: Started;

async function admin(args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(TSX, ['bin/admin.ts', ...args], { cwd: ROOT, env: developerEnv({ ...ENV, DATA_DIR: dir }) });
  return JSON.parse(stdout) as Record<string, unknown>;
}

let apps = 0;
async function install(): Promise<{ memberId: string; clientId: string; token: string; webhook: string }> {
  const memberId = (++apps).toString(16).padStart(32, 'e');
  const clientId = `local.front${apps}`;
  const out = await admin(['install', '--member-id', memberId, '--domain', `f${apps}.example.com`, '--client-id', clientId, '--user-id', '1', '--admin']);
  return { memberId, clientId, token: out.access_token as string, webhook: out.webhook_url as string };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'b24-front-'));
  stack = await npmStart(await freePort(), dir, ENV);
}, 120_000);

afterAll(() => {
  killGroup(stack?.child.pid);
  const runtime = readRuntimeFile(dir);
  if (runtime) {
    try {
      process.kill(runtime.dynamodb_pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

jest.setTimeout(120_000);

describe('the REST front on npm start', () => {
  it('refuses a token and a webhook of an uninstalled application once AUTH_CACHE_MS has passed', async () => {
    const app = await install();
    const byToken = () => postJson(`${stack.url}/rest/event.get?auth=${app.token}`, {});
    const byWebhook = () => postJson(`${app.webhook}event.get`, {});
    // Both credentials are read, and now known to the stack.
    expect((await byToken()).status).toBe(200);
    expect((await byWebhook()).status).toBe(200);

    await admin(['uninstall', '--member-id', app.memberId, '--client-id', app.clientId]);
    const revoked = Date.now();
    // What the stack knew was read before the uninstall, so it is forgotten AUTH_CACHE_MS after it at the latest.
    await new Promise((r) => setTimeout(r, revoked + AUTH_CACHE_MS - Date.now()));
    expect(await byToken()).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
    expect(await byWebhook()).toMatchObject({ status: 401 });
  });

  it('takes every method from the one bucket of the application: exactly the burst gets in, then every method is refused', async () => {
    const app = await install();
    const neighbour = await install();
    const methods = ['events', 'event.get', 'app.info', 'scope', 'server.time', 'event.offline.list', 'methods'];
    const call = (token: string, method: string, body: unknown = {}) => postJson(`${stack.url}/rest/${method}?auth=${token}`, body);

    let admitted = 0;
    let refused;
    for (let i = 0; i < 40 && !refused; i++) {
      const answer = await call(app.token, methods[i % methods.length]!);
      if (answer.status === 200) admitted++;
      else refused = answer;
    }
    expect(admitted).toBe(Number(LIMITS.RATE_LIMIT_BURST));
    expect(refused).toMatchObject({ status: 503, body: { error: 'QUERY_LIMIT_EXCEEDED' } });
    for (const method of methods) expect((await call(app.token, method)).status).toBe(503);
    expect((await call(app.token, 'batch', { cmd: { a: 'events' } })).status).toBe(503);
    // Another application's bucket is its own.
    expect((await call(neighbour.token, 'batch', { cmd: { a: 'events', b: 'event.get' } })).status).toBe(200);
  });
});
