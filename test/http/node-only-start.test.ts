import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../local/dynamodb';
import { get, postForm, postJson } from '../support/fixtures';
import { startSink } from '../support/sink';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

/**
 * Issue 22's promise, in a clean environment: a fresh clone of this commit, a PATH holding
 * node, npm and sh only (no java), `npm start`, then the README's walk-through over HTTP and the
 * admin CLI. node_modules is the checkout's own, linked in: `npm ci` from the registry is
 * what the lockfile pins (dynalite's LevelDB binding ships prebuilt in its tarball), and
 * running it here would cost a minute of the test run (docs/engines.md).
 */
describe('npm start on a machine with Node only (no Java)', () => {
  jest.setTimeout(120_000);
  const dir = mkdtempSync(join(tmpdir(), 'b24-nodeonly-'));
  const clone = join(dir, 'clone');
  const bin = join(dir, 'bin');
  let child: ChildProcess | undefined;
  afterAll(() => {
    try {
      if (child?.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already exited
    }
    rmSync(dir, { recursive: true, force: true });
  });

  /** The environment of a Node-only machine: PATH = node, npm and sh; none of the test run's variables. */
  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ PATH: bin, HOME: dir, NODE_NO_WARNINGS: '1', ...extra });

  it('clones, starts without Java on the Node engine, and the README walk-through works', async () => {
    const head = execFileSync('git', ['-C', ROOT, 'rev-parse', 'HEAD']).toString().trim();
    execFileSync('git', ['clone', '--quiet', '--shared', '--no-checkout', ROOT, clone]);
    execFileSync('git', ['-C', clone, 'checkout', '--quiet', head]);
    symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'));
    mkdirSync(bin);
    // node and npm, and the POSIX shell npm runs scripts with (every such machine has one).
    for (const tool of ['node', 'npm', 'sh']) {
      const found = spawnSync('/bin/sh', ['-c', `command -v ${tool}`]).stdout.toString().trim();
      symlinkSync(realpathSync(found), join(bin, tool));
    }
    expect(spawnSync('/bin/sh', ['-c', 'command -v java'], { env: env() }).status).not.toBe(0);

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const dataDir = join(clone, '.local');
    child = spawn('npm', ['start'], { cwd: clone, env: env({ PORT: String(port) }), detached: true });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start did not get ready:\n${output}`)), 60_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes(`listening on ${base}`)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child!.stdout!.on('data', onData);
      child!.stderr!.on('data', onData);
      child!.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
    });
    expect(output).toContain('DynamoDB engine: the Node engine (dynalite, in this process), java not found on PATH');
    expect(existsSync(join(dataDir, 'dynalite'))).toBe(true);
    expect(existsSync(join(dataDir, 'dynamodb'))).toBe(false);

    // 1. Install an application (the admin CLI reaches the running stack's engine).
    const admin = async (args: string[]) => JSON.parse((await run('npm', ['run', '-s', 'admin', '--', ...args], { cwd: clone, env: env() })).stdout) as Record<string, unknown>;
    const memberId = '0123456789abcdef0123456789abcdef';
    const app = await admin(['install', '--member-id', memberId, '--domain', 'demo.example.com', '--client-id', 'local.app1', '--user-id', '1', '--admin']);
    const token = app.access_token as string;
    const hook = app.webhook_url as string;
    const key = readFileSync(join(dataDir, 'producer-key'), 'utf8').trim();

    // 2. Bind an offline handler (OAuth style) and an online one (webhook style) on this machine.
    const sink = await startSink();
    try {
      expect((await get(`${base}/rest/event.bind?auth=${token}&event=ONCRMDEALUPDATE&event_type=offline`)).body.result).toBe(true);
      expect((await postForm(`${hook}event.bind.json`, `event=ONCRMDEALADD&handler=${encodeURIComponent(`${sink.url}/b24`)}`)).body.result).toBe(true);
      expect((await get(`${hook}event.get`)).body.result).toEqual([
        { event: 'ONCRMDEALUPDATE', connector_id: '', offline: 1 },
        { event: 'ONCRMDEALADD', handler: `${sink.url}/b24`, auth_type: '0', offline: 0 },
      ]);

      // 3. Publish: the same deal updated three times is one journal record; the online handler gets its POST.
      const publish = (event: string) => postJson(`${base}/producer/events`, { member_id: memberId, events: [{ event, data: { FIELDS: { ID: 7405 } }, user_id: 1 }] }, { authorization: `Bearer ${key}` });
      const results = [];
      for (let i = 0; i < 3; i++) results.push((await publish('ONCRMDEALUPDATE')).body.result);
      expect(results).toEqual([
        expect.objectContaining({ records_created: 1, records_merged: 0 }),
        expect.objectContaining({ records_created: 0, records_merged: 1 }),
        expect.objectContaining({ records_created: 0, records_merged: 1 }),
      ]);
      expect((await publish('ONCRMDEALADD')).body.result).toMatchObject({ deliveries_queued: 1 });
      const [delivered] = await sink.waitFor(1, 20_000);
      expect(delivered!.body).toContain('event=ONCRMDEALADD');
      expect(await admin(['deliveries', '--member-id', memberId, '--client-id', 'local.app1'])).toEqual([expect.objectContaining({ ok: true, event: 'ONCRMDEALADD' })]);
    } finally {
      await sink.close();
    }

    // 4. Read the journal, then drain it.
    const listed = await postForm(`${hook}event.offline.list`, 'filter[>=ID]=1&order[ID]=DESC');
    expect(listed.body.result).toEqual([expect.objectContaining({ EVENT_NAME: 'ONCRMDEALUPDATE' })]);
    const got = await postForm(`${hook}event.offline.get`, 'clear=0&limit=50');
    const drained = got.body.result as { process_id: string; events: unknown[] };
    expect(drained.events).toEqual([expect.objectContaining({ EVENT_NAME: 'ONCRMDEALUPDATE', EVENT_DATA: { FIELDS: { ID: 7405 } } })]);
    expect(got.body.queue).toMatchObject({ pending: 0 });
    const cleared = await postForm(`${hook}event.offline.clear`, `process_id=${drained.process_id}`);
    expect(cleared.body.result).toBe(true);
    expect((await postForm(`${hook}event.offline.get`, 'clear=0')).body.result).toMatchObject({ events: [] });

    // Ctrl-C stops it.
    await new Promise<void>((resolve) => {
      child!.once('exit', () => resolve());
      process.kill(-child!.pid!, 'SIGINT');
    });
  });
});
