import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, QUICK_START_JAVA_OPTIONS } from '../../local/dynamodb';
import { readRuntimeFile } from '../../local/stack';
import { postForm, postJson } from '../support/fixtures';
import { developerEnv, interrupt, killGroup, npmStart, ROOT, waitUntil, type Started } from '../support/npm-start';

const run = promisify(execFile);
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const RETRY_SECONDS = 8;
const ENV = { DYNAMODB_LOCAL_JAVA_OPTIONS: QUICK_START_JAVA_OPTIONS, DELIVERY_RETRIES: '3', DELIVERY_RETRY_BASE_SECONDS: String(RETRY_SECONDS) };

/** A handler whose answer the test switches: it records each request's event ID, attempt and time. */
async function switchableSink() {
  const hits: { id: number; at: number; status: number }[] = [];
  let status = 500;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const id = Number(new URLSearchParams(body).get('data[FIELDS][ID]'));
      hits.push({ id, at: Date.now(), status });
      res.writeHead(status).end('ok');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    hits,
    answer: (s: number) => (status = s),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * Issue 18 item 6: deliveries queued when `npm start` stops (first attempts not yet made,
 * retries waiting out their delay) are delivered after the next `npm start` on the same
 * DATA_DIR, retries keeping the delay they had left (local/sqs-store.ts, docs/engines.md).
 */
describe('npm start keeps queued deliveries across a restart', () => {
  jest.setTimeout(240_000);
  const dir = mkdtempSync(join(tmpdir(), 'b24-queue-'));
  const running: Started[] = [];
  afterAll(() => {
    for (const s of running) killGroup(s.child.pid);
    const runtime = readRuntimeFile(dir);
    if (runtime) killGroup(runtime.dynamodb_pid);
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['SIGTERM', (s: Started) => interrupt(s)],
    ['SIGKILL', async (s: Started) => {
      const exited = once(s.child, 'exit');
      killGroup(s.child.pid); // npm and the stack: nothing gets to clean up (the JVM, in its own group, is stopped by the next start)
      await exited;
    }],
  ])('after %s, a retry waiting out its delay is delivered after the restart, its remaining delay kept', async (_signal, stop) => {
    const sink = await switchableSink();
    try {
      const port = await freePort();
      const first = await npmStart(port, dir, ENV);
      running.push(first);
      const memberId = _signal === 'SIGTERM' ? 'd'.repeat(32) : 'e'.repeat(32);
      const { stdout } = await run(TSX, ['bin/admin.ts', 'install', '--member-id', memberId, '--domain', 'q.example.com', '--client-id', `local.queue${_signal}`, '--user-id', '1', '--admin'], {
        cwd: ROOT,
        env: developerEnv({ DATA_DIR: dir, ...ENV }),
      });
      const token = (JSON.parse(stdout) as { access_token: string }).access_token;
      expect((await postForm(`${first.url}/rest/event.bind?auth=${token}`, `event=ONCRMDEALADD&handler=${encodeURIComponent(sink.url)}`)).body.result).toBe(true);
      const producerKey = readFileSync(join(dir, 'producer-key'), 'utf8').trim();
      const published = await postJson(`${first.url}/producer/events`, { member_id: memberId, events: [{ event: 'ONCRMDEALADD', data: { FIELDS: { ID: 1 } } }] }, { authorization: `Bearer ${producerKey}` });
      expect(published.status).toBe(200);

      // The first attempt fails: the retry is queued with RETRY_SECONDS of delay.
      await waitUntil('the first attempt', () => sink.hits.length >= 1, 60_000);
      const failedAt = sink.hits[0]!.at;
      // Later events for the now unhealthy handler wait in the queue too (deferred, or not yet taken).
      const more = await postJson(`${first.url}/producer/events`, { member_id: memberId, events: [2, 3, 4].map((ID) => ({ event: 'ONCRMDEALADD', data: { FIELDS: { ID } } })) }, { authorization: `Bearer ${producerKey}` });
      expect(more.status).toBe(200);
      await stop(first);
      const attemptsBefore = sink.hits.length;

      sink.answer(200);
      const second = await npmStart(port, dir, ENV);
      running.push(second);
      expect(second.output()).toMatch(/[1-9]\d* message\(s\) put back/);
      await waitUntil('every event delivered after the restart', () => [1, 2, 3, 4].every((id) => sink.hits.some((h) => h.id === id && h.status === 200)), 90_000);
      const retried = sink.hits.slice(attemptsBefore).find((h) => h.id === 1)!;
      // The delay was kept: not attempted again before it ran out (one second of rounding).
      expect(retried.at - failedAt).toBeGreaterThanOrEqual((RETRY_SECONDS - 1) * 1000);
      await interrupt(second);
    } finally {
      await sink.close();
    }
  });
});
