import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, QUICK_START_JAVA_OPTIONS } from '../../local/dynamodb';
import { readRuntimeFile } from '../../local/stack';
import { get, postForm, postJson } from '../support/fixtures';
import { developerEnv, interrupt, killGroup as killProcessGroup, npmStart as startStack, ROOT, type Started } from '../support/npm-start';
import { startSink } from '../support/sink';

const run = promisify(execFile);
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

/**
 * Every stack and admin command here runs DynamoDB Local for seconds, so its JVM starts with
 * the quick-start options (local/dynamodb.ts); otherwise the environment is a developer's.
 */
const QUICK = { DYNAMODB_LOCAL_JAVA_OPTIONS: QUICK_START_JAVA_OPTIONS };
const cleanEnv = (extra: Record<string, string>) => developerEnv({ ...QUICK, ...extra });
const npmStart = (port: number, dataDir: string, extra: Record<string, string> = {}) => startStack(port, dataDir, { ...QUICK, ...extra });
const killGroup = (started: Started) => killProcessGroup(started.child.pid);

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * The admin CLI: the command `npm run admin` runs (tsx bin/admin.ts), without npm's own
 * start-up of a second or more per call; the last test runs it through npm.
 */
async function admin<T = Record<string, unknown>>(dataDir: string, args: string[]): Promise<T> {
  const { stdout } = await run(TSX, ['bin/admin.ts', ...args], { cwd: ROOT, env: cleanEnv({ DATA_DIR: dataDir }) });
  return JSON.parse(stdout) as T;
}

describe('npm start (the local runtime as a developer runs it)', () => {
  jest.setTimeout(180_000);
  const dirs: string[] = [];
  const running: Started[] = [];
  const newDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'b24-local-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(async () => {
    for (const s of running) killGroup(s);
    for (const dir of dirs) {
      const runtime = readRuntimeFile(dir);
      if (runtime && alive(runtime.dynamodb_pid)) process.kill(runtime.dynamodb_pid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs two stacks side by side, keeps data across restarts, and stops DynamoDB Local with it', async () => {
    const [dirA, dirB] = [newDir(), newDir()];
    const [portA, portB] = [await freePort(), await freePort()];
    // Started side by side, as two terminals would.
    const [a, b] = await Promise.all([npmStart(portA, dirA), npmStart(portB, dirB)]);
    running.push(a, b);
    expect(a.url).toBe(`http://127.0.0.1:${portA}`);
    expect(a.output()).toMatch(/producer key: [0-9a-f]{48}/);
    const producerKey = readFileSync(join(dirA, 'producer-key'), 'utf8').trim();

    // The admin CLI works against the running stack A.
    const memberId = 'a'.repeat(32);
    const app = await admin(dirA, ['install', '--member-id', memberId, '--domain', 'a.example.com', '--client-id', 'local.runtime', '--user-id', '1', '--admin']);
    expect(app).toMatchObject({ member_id: memberId, client_id: 'local.runtime', user_id: 1, expires_in: 3600 });
    expect(app.webhook_url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${portA}/rest/1/[0-9a-f]{32}/$`));
    const token = app.access_token as string;

    expect((await postForm(`${a.url}/rest/event.bind?auth=${token}`, 'event=ONCRMDEALADD&event_type=offline')).body.result).toBe(true);
    const published = await postJson(`${a.url}/producer/events`, { member_id: memberId, events: [{ event: 'ONCRMDEALADD', data: { FIELDS: { ID: 1 } } }] }, { authorization: `Bearer ${producerKey}` });
    expect(published.body.result).toMatchObject({ records_created: 1 });

    // Stack B has its own data: A's token means nothing there.
    expect((await get(`${b.url}/rest/event.get?auth=${token}`)).status).toBe(401);

    // Ctrl-C stops the stack and its DynamoDB Local.
    const runtime = readRuntimeFile(dirA)!;
    await interrupt(a);
    expect(alive(runtime.dynamodb_pid)).toBe(false);
    expect(readRuntimeFile(dirA)).toBeUndefined();

    // A restart on the same DATA_DIR keeps credentials, bindings, journal and producer key.
    const a2 = await npmStart(portA, dirA);
    running.push(a2);
    expect(a2.output()).toContain(`producer key: ${producerKey}`);
    const listed = await get(`${a2.url}/rest/event.offline.list?auth=${token}`);
    expect(listed.body.total).toBe(1);
    expect((await get(`${a2.url}/rest/event.get?auth=${token}`)).body.result).toEqual([{ event: 'ONCRMDEALADD', connector_id: '', offline: 1 }]);

    // A second stack on a DATA_DIR in use is refused with a clear message.
    await expect(npmStart(await freePort(), dirA)).rejects.toThrow(/Another local stack .* uses DATA_DIR/);

    await Promise.all([interrupt(a2), interrupt(b)]);
  });

  it('delivers online events through the SQS emulator and the worker; with HANDLER_ALLOW_PRIVATE=0 it refuses loopback handlers', async () => {
    const sink = await startSink();
    try {
      const [open, guarded] = await Promise.all([npmStart(await freePort(), newDir()), npmStart(await freePort(), newDir(), { HANDLER_ALLOW_PRIVATE: '0' })]);
      running.push(open, guarded);
      expect(open.output()).toContain('handlers on private addresses allowed');
      expect(guarded.output()).toContain('handlers on private addresses refused');
      for (const stack of [open, guarded]) {
        const dir = /data in (.*)\/dynamodb\)/.exec(stack.output())![1]!;
        const memberId = 'b'.repeat(32);
        const app = await admin(dir, ['install', '--member-id', memberId, '--domain', 'b.example.com', '--client-id', 'local.online', '--user-id', '1', '--admin']);
        const bound = await postForm(`${stack.url}/rest/event.bind?auth=${app.access_token as string}`, `event=ONCRMDEALADD&handler=${encodeURIComponent(`${sink.url}/hook`)}`);
        expect(bound.body.result).toBe(true);
        const producerKey = readFileSync(join(dir, 'producer-key'), 'utf8').trim();
        await postJson(`${stack.url}/producer/events`, { member_id: memberId, events: [{ event: 'ONCRMDEALADD', data: { FIELDS: { ID: 9 } }, user_id: 1 }] }, { authorization: `Bearer ${producerKey}` });
        // Each look at the attempt log is a CLI process: look once the open stack's handler has the event.
        if (stack === open) await sink.waitFor(1, 60_000);
        let attempts: { ok: boolean; error?: string }[] = [];
        for (let i = 0; i < 60 && attempts.length === 0; i++) {
          await new Promise((r) => setTimeout(r, 250));
          attempts = await admin<{ ok: boolean; error?: string }[]>(dir, ['deliveries', '--member-id', memberId, '--client-id', 'local.online']);
        }
        if (stack === open) {
          expect(attempts).toEqual([expect.objectContaining({ ok: true, status: 200, event: 'ONCRMDEALADD' })]);
        } else {
          expect(attempts).toEqual([expect.objectContaining({ ok: false, status: 0, error: expect.stringMatching(/^refused: 127\.0\.0\.1 is in the loopback range/) })]);
        }
      }
      expect(sink.received).toHaveLength(1);

      // The admin CLI reaches the running stack's queue: ONAPPINSTALL, and an outgoing webhook.
      const openDir = /data in (.*)\/dynamodb\)/.exec(open.output())![1]!;
      const installed = await admin(openDir, ['install', '--member-id', 'b'.repeat(32), '--domain', 'b.example.com', '--client-id', 'local.lifecycle', '--user-id', '2', '--admin', '--install-handler', `${sink.url}/install`]);
      expect(installed).toMatchObject({ install_event: 'queued' });
      const [, installEvent] = await sink.waitFor(2);
      expect(installEvent!.body).toContain('event=ONAPPINSTALL');
      const hook = await admin(openDir, ['webhook', 'add', '--member-id', 'b'.repeat(32), '--event', 'ONCRMDEALADD', '--handler', `${sink.url}/hook`]);
      expect(await admin<unknown[]>(openDir, ['webhook', 'list', '--member-id', 'b'.repeat(32)])).toEqual([expect.objectContaining({ webhook_id: hook.webhook_id, events: ['ONCRMDEALADD'] })]);
      expect(await admin(openDir, ['webhook', 'remove', '--member-id', 'b'.repeat(32), '--webhook-id', hook.webhook_id as string])).toEqual({ bindings_removed: 1 });
      await Promise.all([interrupt(open), interrupt(guarded)]);
    } finally {
      await sink.close();
    }
  });

  it('delivers an ONOFFLINEEVENT trailing notification after a restart in the middle of its window', async () => {
    const sink = await startSink();
    try {
      const dir = newDir();
      const port = await freePort();
      const first = await npmStart(port, dir);
      running.push(first);
      const memberId = 'c'.repeat(32);
      const app = await admin(dir, ['install', '--member-id', memberId, '--domain', 'c.example.com', '--client-id', 'local.trailing', '--user-id', '1', '--admin']);
      const token = app.access_token as string;
      await postForm(`${first.url}/rest/event.bind?auth=${token}`, 'event=ONCRMDEALADD&event_type=offline');
      await postForm(`${first.url}/rest/event.bind?auth=${token}`, `event=ONOFFLINEEVENT&handler=${encodeURIComponent(`${sink.url}/offline`)}&options[minTimeout]=4`);
      const producerKey = readFileSync(join(dir, 'producer-key'), 'utf8').trim();
      const publish = (id: number) => postJson(`${first.url}/producer/events`, { member_id: memberId, events: [{ event: 'ONCRMDEALADD', data: { FIELDS: { ID: id } } }] }, { authorization: `Bearer ${producerKey}` });
      expect((await publish(1)).body.result).toMatchObject({ notifications_queued: 1 });
      const windowEnd = Date.now() + 4000; // the first publish opened a 4 s window: it ends by then
      expect((await publish(2)).body.result).toMatchObject({ notifications_queued: 0 }); // the trailing one is scheduled
      await sink.waitFor(1);
      await interrupt(first);

      // Down through the window's end; the schedule waits in DynamoDB Local on disk.
      await new Promise((r) => setTimeout(r, Math.max(0, windowEnd + 500 - Date.now())));
      const second = await npmStart(port, dir);
      running.push(second);
      const [, trailing] = await sink.waitFor(2, 20_000);
      expect(trailing!.body).toContain('event=ONOFFLINEEVENT');
      expect(trailing!.body).toContain('data%5BminTimeout%5D=4');
      await interrupt(second);
    } finally {
      await sink.close();
    }
  });

  it('serves HTTPS with TLS_CERT_FILE and TLS_KEY_FILE, and hands out https URLs', async () => {
    const cert = join(__dirname, '..', 'support', 'tls', 'localhost.crt');
    const key = join(__dirname, '..', 'support', 'tls', 'localhost.key');
    const dir = newDir();
    const port = await freePort();
    await expect(npmStart(port, dir, { TLS_CERT_FILE: cert })).rejects.toThrow(/TLS_CERT_FILE and TLS_KEY_FILE go together/);
    const stack = await npmStart(port, dir, { TLS_CERT_FILE: cert, TLS_KEY_FILE: key });
    running.push(stack);
    expect(stack.url).toBe(`https://127.0.0.1:${port}`);
    const app = await admin(dir, ['install', '--member-id', 'd'.repeat(32), '--domain', 'd.example.com', '--client-id', 'local.tls', '--user-id', '1', '--admin']);
    expect(app.webhook_url).toMatch(new RegExp(`^https://127\\.0\\.0\\.1:${port}/rest/1/[0-9a-f]{32}/$`));
    expect(app.client_endpoint).toBe(`https://127.0.0.1:${port}/rest/`);
    // A client that trusts the test certificate gets a Bitrix answer over TLS.
    const body = await new Promise<string>((resolve, reject) => {
      httpsGet(`${app.webhook_url as string}event.get`, { ca: readFileSync(cert) }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    expect(JSON.parse(body)).toMatchObject({ result: [] });
    await interrupt(stack);
  });

  it('recovers after kill -9: the orphaned DynamoDB Local is stopped, the data is kept, and every claimed batch is still readable by its process_id', async () => {
    const dir = newDir();
    const port = await freePort();
    const first = await npmStart(port, dir);
    running.push(first);
    const app = await admin(dir, ['install', '--member-id', 'b'.repeat(32), '--domain', 'b.example.com', '--client-id', 'local.crash', '--user-id', '2', '--admin']);
    await postForm(`${first.url}/rest/event.bind?auth=${app.access_token}`, 'event=ONTASKADD&handler=https://hooks.example.com/t');
    await postForm(`${first.url}/rest/event.bind?auth=${app.access_token}`, 'event=ONCRMDEALUPDATE&event_type=offline');
    const producerKey = readFileSync(join(dir, 'producer-key'), 'utf8').trim();
    const deals = Array.from({ length: 40 }, (_, i) => ({ event: 'ONCRMDEALUPDATE', data: { FIELDS: { ID: i + 1 } } }));
    expect((await postJson(`${first.url}/producer/events`, { member_id: 'b'.repeat(32), events: deals }, { authorization: `Bearer ${producerKey}` })).status).toBe(200);
    // Eight consumers reserve batches at once (clear=0); then the process dies without a word.
    const claims = await Promise.all(Array.from({ length: 8 }, () => postForm(`${first.url}/rest/event.offline.get?auth=${app.access_token}`, 'clear=0&limit=4')));
    const batches = claims.map((c) => c.body.result as { process_id: string; events: { ID: string }[] }).filter((b) => b.events.length > 0);
    expect(batches.length).toBeGreaterThan(0);

    const runtime = readRuntimeFile(dir)!;
    process.kill(runtime.pid, 'SIGKILL'); // the node process only: its Java child is left behind
    await new Promise((r) => setTimeout(r, 300));
    expect(alive(runtime.dynamodb_pid)).toBe(true);

    const second = await npmStart(port, dir);
    running.push(second);
    expect(alive(runtime.dynamodb_pid)).toBe(false);
    expect((await get(`${second.url}/rest/event.get?auth=${app.access_token}`)).body.result).toEqual([
      { event: 'ONTASKADD', handler: 'https://hooks.example.com/t', auth_type: '0', offline: 0 },
      { event: 'ONCRMDEALUPDATE', connector_id: '', offline: 1 },
    ]);
    for (const batch of batches) {
      // clear=0: read the batch again and keep it reserved.
      const reread = await postForm(`${second.url}/rest/event.offline.get?auth=${app.access_token}`, `process_id=${batch.process_id}&clear=0`);
      expect((reread.body.result as { events: { ID: string }[] }).events.map((e) => e.ID)).toEqual(batch.events.map((e) => e.ID));
    }
    // Nothing lost, nothing twice: the reserved records and the pending ones are the 40 published.
    const listed = await postForm(`${second.url}/rest/event.offline.list?auth=${app.access_token}`, 'start=-1');
    const records = listed.body.result as { ID: string; PROCESS_ID: string }[];
    expect(records).toHaveLength(40);
    expect(new Set(records.map((r) => r.ID)).size).toBe(40);
    expect(records.filter((r) => r.PROCESS_ID !== '').length).toBe(batches.reduce((n, b) => n + b.events.length, 0));
    await interrupt(second);
    killGroup(first);
  });

  it('runs the admin CLI on a stopped stack by starting DynamoDB Local for the command', async () => {
    const dir = newDir();
    const installed = await admin(dir, ['install', '--member-id', 'c'.repeat(32), '--domain', 'c.example.com', '--client-id', 'local.offline', '--user-id', '3', '--scope', 'task']);
    expect(installed).toMatchObject({ scope: 'task', admin: false, client_secret: expect.any(String) });
    const again = await admin(dir, ['install', '--member-id', 'c'.repeat(32), '--domain', 'c.example.com', '--client-id', 'local.offline', '--user-id', '4']);
    expect(again).toMatchObject({ client_secret: null, application_token: installed.application_token, scope: 'task' });
    const list = (await admin(dir, ['list'])) as unknown as Record<string, unknown>[];
    expect(list).toEqual([expect.objectContaining({ member_id: 'c'.repeat(32), client_id: 'local.offline', users: [3, 4] })]);
    expect(await admin(dir, ['uninstall', '--member-id', 'c'.repeat(32), '--client-id', 'local.offline'])).toEqual({ bindings_removed: 0, records_removed: 0, credentials_removed: 6, uninstall_event: 'no ONAPPUNINSTALL handler' });
    expect(await admin(dir, ['list'])).toEqual([]);
    expect(readRuntimeFile(dir)).toBeUndefined();
  });

  it('explains bad admin arguments without touching storage', async () => {
    await expect(run('npm', ['run', '-s', 'admin', '--', 'install', '--member-id', 'nothex'], { cwd: ROOT, env: cleanEnv({ DATA_DIR: newDir() }) })).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--member-id has a wrong format'),
    });
  });
});
