import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../local/dynamodb';
import { readRuntimeFile } from '../../local/stack';
import { get, postForm, postJson } from '../support/fixtures';
import { developerEnv, interrupt, killGroup, npmStart, ROOT, runGroup, startProgram, waitUntil, type Started } from '../support/npm-start';

/**
 * What a newcomer runs first, run as written: the README's walk-through (its marked ```sh
 * blocks, extracted from README.md so this test fails when the README drifts) against
 * `npm start` on a fresh DATA_DIR, and the programs in examples/.
 */

interface Step {
  code: string;
  /** What the README says the step prints: `…` stands for anything on the line. */
  prints: string[];
}

/** The walk-through's steps: code up to each run of `# prints:` lines. */
export function walkThroughSteps(readme: string): Step[] {
  const blocks = [...readme.matchAll(/<!-- walk-through -->\s*```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const steps: Step[] = [];
  let code: string[] = [];
  let prints: string[] = [];
  const flush = () => {
    if (code.some((l) => l.trim() !== '' && !l.trim().startsWith('#')) || prints.length > 0) steps.push({ code: code.join('\n'), prints });
    code = [];
    prints = [];
  };
  for (const block of blocks) {
    for (const line of block.split('\n')) {
      const expected = /^# prints: (.*)$/.exec(line);
      if (expected) prints.push(expected[1]!);
      else {
        if (prints.length > 0) flush();
        code.push(line);
      }
    }
  }
  flush();
  return steps;
}

const pattern = (expected: string) => new RegExp(expected.split('…').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*?'));

describe('the newcomer path', () => {
  jest.setTimeout(240_000);
  let dataDir: string;
  let stack: Started;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'b24-newcomer-'));
    stack = await npmStart(await freePort(), dataDir);
  });
  afterAll(async () => {
    if (stack) await interrupt(stack);
    const runtime = readRuntimeFile(dataDir);
    if (runtime) killGroup(runtime.dynamodb_pid);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs the README walk-through as written on a fresh data directory, and each step prints what the README says', async () => {
    const steps = walkThroughSteps(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    // The walk-through publishes what it binds, delivers to a handler, and clears a real process_id.
    expect(steps.length).toBeGreaterThanOrEqual(10);
    const all = steps.map((s) => s.code).join('\n');
    for (const needed of ['npm run -s admin -- install', 'examples/handler.ts', '/producer/events', 'event.offline.get', 'process_id=$PROCESS_ID']) expect(all).toContain(needed);

    const script = ['set -eu', ...steps.map((s, i) => `${s.code}\necho "@@step ${i}@@"`)].join('\n');
    const env = developerEnv({ BASE: stack.url, DATA_DIR: dataDir, HANDLER_PORT: String(await freePort()) });
    const ran = await runGroup('bash', ['-c', script], env, 180_000);
    expect({ code: ran.code, stderr: ran.stderr }).toEqual({ code: 0, stderr: expect.any(String) });

    const outputs = ran.stdout.split(/@@step \d+@@\n?/);
    expect(outputs.length).toBe(steps.length + 1);
    steps.forEach((step, i) => {
      let rest = outputs[i]!;
      for (const expected of step.prints) {
        const match = pattern(expected).exec(rest);
        expect({ step: step.code, expected, printed: match ? 'as said' : outputs[i] }).toEqual({ step: step.code, expected, printed: 'as said' });
        rest = rest.slice(match!.index + match![0].length);
      }
    });
    // The journal is empty afterwards: the clear used the reservation's real process_id.
    const app = JSON.parse(readFileSync(join(dataDir, 'app.json'), 'utf8')) as { webhook_url: string };
    expect((await get(`${app.webhook_url}event.offline.list`)).body).toMatchObject({ result: [], total: 0 });
    // Nothing was written into the working tree.
    for (const file of ['app.json', 'handler.log', 'got.json']) expect(() => readFileSync(join(ROOT, file))).toThrow();
  });

  it('runs the example producer, the offline consumer (drain and ONOFFLINEEVENT modes) and the handler with JSON deliveries', async () => {
    const memberId = 'e'.repeat(32);
    const env = developerEnv({ BASE: stack.url, DATA_DIR: dataDir });
    const admin = await runGroup('npm', ['run', '-s', 'admin', '--', 'install', '--member-id', memberId, '--domain', 'e.example.com', '--client-id', 'local.examples', '--user-id', '1', '--admin'], env, 60_000);
    expect(admin.code).toBe(0);
    const app = JSON.parse(admin.stdout) as { access_token: string; webhook_url: string; webhook_signing_secret: string };
    const hook = app.webhook_url;
    expect((await postForm(`${hook}event.bind`, 'event=ONCRMDEALUPDATE&event_type=offline')).body.result).toBe(true);

    // The producer publishes three deals; the consumer drains them, reserving and clearing.
    const tsx = (file: string, args: string[], extra: Record<string, string>) => runGroup('node', ['--import', 'tsx', `examples/${file}`, ...args], { ...env, ...extra }, 60_000);
    const produced = await tsx('producer.ts', ['ONCRMDEALUPDATE', '1', '2', '3'], { MEMBER_ID: memberId });
    expect(produced.code).toBe(0);
    expect(JSON.parse(produced.stdout)).toMatchObject({ records_created: 3 });
    const drained = await tsx('consumer.ts', [], { HOOK: hook });
    expect(drained.code).toBe(0);
    expect(drained.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; data: unknown })).toEqual(
      [1, 2, 3].map((id) => ({ id: expect.any(String), event: 'ONCRMDEALUPDATE', data: { FIELDS: { ID: id } } })),
    );
    expect(drained.stderr).toContain('drained 3 record(s)');
    expect((await get(`${hook}event.offline.list`)).body.total).toBe(0);

    // A wrong key says where the right one is.
    const wrongKey = await tsx('producer.ts', ['ONCRMDEALUPDATE', '4'], { MEMBER_ID: memberId, PRODUCER_KEY: 'x'.repeat(48) });
    expect(wrongKey).toMatchObject({ code: 1, stderr: expect.stringContaining('producer-key') });

    // ONOFFLINEEVENT mode: the consumer drains when the notification arrives.
    const listenPort = await freePort();
    const consumer = startProgram('node', ['--import', 'tsx', 'examples/consumer.ts'], { ...env, HOOK: hook, LISTEN_PORT: String(listenPort) });
    const handlerPort = await freePort();
    const handler = startProgram('node', ['--import', 'tsx', 'examples/handler.ts'], { ...env, B24_SIGNING_SECRET: app.webhook_signing_secret, HANDLER_PORT: String(handlerPort) });
    try {
      await waitUntil('the consumer to listen', () => consumer.stderr().includes('listening'));
      await waitUntil('the handler to listen', () => handler.stderr().includes('listening'));
      expect((await postForm(`${hook}event.bind`, `event=ONOFFLINEEVENT&handler=http://127.0.0.1:${listenPort}/&options[minTimeout]=0`)).body.result).toBe(true);
      expect((await postForm(`${hook}event.bind`, `event=ONCRMDEALADD&handler=http://127.0.0.1:${handlerPort}/&options[format]=json`)).body.result).toBe(true);
      expect((await tsx('producer.ts', ['ONCRMDEALUPDATE', '5', '6'], { MEMBER_ID: memberId })).code).toBe(0);
      // Its records reach stdout before its summary line reaches stderr (two pipes): wait for both.
      await waitUntil('the notified consumer to drain', () => consumer.stdout().trim().split('\n').filter(Boolean).length >= 2 && /drained [1-9]/.test(consumer.stderr()));
      expect(consumer.stdout().trim().split('\n').map((l) => (JSON.parse(l) as { data: unknown }).data)).toEqual([{ FIELDS: { ID: 5 } }, { FIELDS: { ID: 6 } }]);
      expect(consumer.stderr()).toMatch(/ONOFFLINEEVENT: drained 2 record\(s\)/);

      // The handler verifies a JSON delivery's signature over the raw body, and refuses a forged one.
      expect((await tsx('producer.ts', ['ONCRMDEALADD', '9'], { MEMBER_ID: memberId })).code).toBe(0);
      await waitUntil('the JSON delivery', () => handler.stdout().includes('ONCRMDEALADD'));
      expect(JSON.parse(handler.stdout().trim().split('\n')[0]!)).toMatchObject({ verified: true, format: 'json', event: 'ONCRMDEALADD', data: { FIELDS: { ID: 9 } }, member_id: memberId, user_id: 1 });
      const forged = await postJson(`http://127.0.0.1:${handlerPort}/`, { event: 'ONCRMDEALADD' }, { 'webhook-id': 'msg_x', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAA' });
      expect(forged.status).toBe(401);
      await waitUntil('the refusal line', () => handler.stdout().includes('"verified":false'));
    } finally {
      consumer.stop();
      handler.stop();
    }
  });

  it('admin CLI: help in three spellings, and errors that say what to do', async () => {
    const admin = (args: string[], dir = dataDir) => runGroup('npm', ['run', '-s', 'admin', '--', ...args], developerEnv({ DATA_DIR: dir }), 90_000);
    for (const help of [['-h'], ['--help'], ['help']]) {
      const shown = await admin(help);
      expect({ help, code: shown.code, usage: shown.stdout.startsWith('Usage: npm run -s admin -- <command>') }).toEqual({ help, code: 0, usage: true });
      expect(shown.stdout).toContain('list       [--member-id <32 hex>]');
    }
    const upper = await admin(['list', '--member-id', 'ABCDEF0123456789ABCDEF0123456789']);
    expect(upper).toMatchObject({ code: 2, stderr: expect.stringContaining('lower case: abcdef0123456789abcdef0123456789') });

    // Another DATA_DIR than npm start's: the CLI says so, and an unknown portal is named, not "[]".
    const otherDir = mkdtempSync(join(tmpdir(), 'b24-other-'));
    try {
      const unknown = await admin(['deliveries', '--member-id', 'f'.repeat(32), '--client-id', 'local.app1'], otherDir);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain(`No running stack uses DATA_DIR ${otherDir}`);
      expect(unknown.stderr).toContain(`Portal ${'f'.repeat(32)} is not installed here`);
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
  });
});
