import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { SqsDeliveryQueue } from '../../lambdas/adapters/sqs/delivery-queue';
import { sqsClient } from '../../lambdas/composition';
import { newDeliveryId } from '../../lambdas/domain/delivery';
import { freePort, QUICK_START_JAVA_OPTIONS } from '../../local/dynamodb';
import { readRuntimeFile } from '../../local/stack';
import { postForm, postJson } from '../support/fixtures';
import { developerEnv, killGroup, npmStart, ROOT, type Started } from '../support/npm-start';
import { startSink, type Sink } from '../support/sink';
import { until } from '../support/until';

/**
 * The web console (docs/console.md) in a real headless Chromium (Debian's, driven by
 * playwright-core) against one `npm start` stack with seeded data: two portals, an application
 * with an online handler (a loopback sink) and one with an offline queue. Sessions last
 * CONSOLE_SESSION_SECONDS = 30 here, so the expiry test waits for one to end; every other test
 * signs in afresh. Screenshots of each page at desktop and narrow widths go to .local/screenshots
 * (docs/screenshots with `npm run screenshots`).
 */
const run = promisify(execFile);
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const SESSION_SECONDS = 30;
// `npm run screenshots` writes them into docs/screenshots (committed, shown by the README); a
// plain `npm test` writes them to .local/screenshots (ignored), so a test run leaves the tree clean.
const SHOTS = process.env.CONSOLE_SCREENSHOTS === 'docs' ? join(ROOT, 'docs', 'screenshots') : join(ROOT, '.local', 'screenshots');
const ENV = { DYNAMODB_LOCAL_JAVA_OPTIONS: QUICK_START_JAVA_OPTIONS };

const memberA = 'a1'.repeat(16);
const memberB = 'b2'.repeat(16);
const appA = 'local.console-a';
const appB = 'local.console-b';

let dir: string;
let stack: Started;
let sink: Sink;
let browser: Browser;
let operator: string;
let link: string;

async function admin<T = Record<string, unknown>>(args: string[]): Promise<T> {
  const { stdout } = await run(TSX, ['bin/admin.ts', ...args], { cwd: ROOT, env: developerEnv({ ...ENV, DATA_DIR: dir }) });
  return JSON.parse(stdout) as T;
}


beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'b24-console-'));
  mkdirSync(SHOTS, { recursive: true });
  sink = await startSink();
  stack = await npmStart(await freePort(), dir, { ...ENV, CONSOLE_SESSION_SECONDS: String(SESSION_SECONDS) });
  const producerKey = readFileSync(join(dir, 'producer-key'), 'utf8').trim();

  const a = await admin(['install', '--member-id', memberA, '--domain', 'a.example.com', '--client-id', appA, '--user-id', '1', '--admin']);
  const b = await admin(['install', '--member-id', memberB, '--domain', 'b.example.com', '--client-id', appB, '--user-id', '1', '--admin']);
  operator = (await admin<{ credential: string }>(['console', 'operator'])).credential;
  link = (await admin<{ link: string }>(['console', 'link', '--member-id', memberA, '--client-id', appA])).link;

  expect((await postForm(`${stack.url}/rest/event.bind?auth=${a.access_token as string}`, `event=ONCRMDEALADD&handler=${encodeURIComponent(`${sink.url}/hook`)}`)).body.result).toBe(true);
  expect((await postForm(`${stack.url}/rest/event.bind?auth=${b.access_token as string}`, 'event=ONCRMDEALADD&event_type=offline')).body.result).toBe(true);
  const publish = (member: string, ids: number[]) =>
    postJson(`${stack.url}/producer/events`, { member_id: member, events: ids.map((id) => ({ event: 'ONCRMDEALADD', data: { FIELDS: { ID: id } } })) }, { authorization: `Bearer ${producerKey}` });
  expect((await publish(memberA, [1, 2, 3, 4, 5])).status).toBe(200);
  expect((await publish(memberB, [11, 12, 13])).status).toBe(200);
  await sink.waitFor(5, 90_000);

  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    // playwright-core gives every launch a fresh profile (--user-data-dir in a new temporary directory) itself.
  });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await sink?.close();
  if (stack) killGroup(stack.child.pid);
  const runtime = dir ? readRuntimeFile(dir) : undefined;
  if (runtime) {
    try {
      process.kill(runtime.dynamodb_pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

jest.setTimeout(120_000);

async function signedIn(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${stack.url}/console/`);
  await page.getByLabel('Operator credential').fill(operator);
  await page.keyboard.press('Enter');
  await page.getByRole('navigation', { name: 'Console pages' }).waitFor();
  return { context, page };
}

/** The console's own API, with the page's cookie. */
async function apiOf<T>(page: Page, path: string): Promise<{ status: number; body: T }> {
  const response = await page.request.get(`${stack.url}/console/api/${path}`);
  return { status: response.status(), body: (await response.json()) as T };
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: join(SHOTS, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize({ width: 390, height: 800 });
  await page.screenshot({ path: join(SHOTS, `${name}-narrow.png`), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
}

const figure = (page: Page, id: string) => page.locator(`[data-figure="${id}"]`).textContent();

describe('web console', () => {
  it('refuses a wrong operator credential, then signs in and renders the overview figures the API returns', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${stack.url}/console/`);
    await shoot(page, 'sign-in');
    await page.getByLabel('Operator credential').fill('op_wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Wrong or expired console credential');
    await page.getByLabel('Operator credential').fill(operator);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('[data-figure="day-ok"]').waitFor();

    const cookie = (await context.cookies()).find((c) => c.name === 'b24hub_console')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console' });

    const overview = (await apiOf<{ result: { deliveries: { day: { ok: number; failed: number }; hour: { ok: number } }; latency: { p50: number; p99: number }; backlog: { pending: number } } }>(page, 'overview')).body.result;
    expect(overview.deliveries.day.ok).toBeGreaterThanOrEqual(5);
    expect(overview.backlog.pending).toBe(3);
    // The page was loaded before this read: reload so both see the same attempts.
    await page.reload();
    await page.locator('[data-figure="day-ok"]').waitFor();
    const again = (await apiOf<{ result: typeof overview }>(page, 'overview')).body.result;
    await expect(figure(page, 'day-ok')).resolves.toBe(String(again.deliveries.day.ok));
    await expect(figure(page, 'hour-ok')).resolves.toBe(String(again.deliveries.hour.ok));
    await expect(figure(page, 'day-failed')).resolves.toBe(String(again.deliveries.day.failed));
    await expect(figure(page, 'p50')).resolves.toBe(String(Math.round(again.latency.p50)));
    await expect(figure(page, 'p99')).resolves.toBe(String(Math.round(again.latency.p99)));
    await expect(figure(page, 'backlog')).resolves.toBe('3');
    await page.locator('.uplot').waitFor();
    await shoot(page, 'overview');
    await context.close();
  });

  it('renders portals, bindings and offline queues as the API returns them, keyboard first', async () => {
    const { context, page } = await signedIn();
    // Keyboard: the navigation links are reachable with Tab and open with Enter.
    await page.getByRole('link', { name: 'Portals' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Portals and applications' }).waitFor();
    const installations = (await apiOf<{ result: { client_id: string }[] }>(page, 'installations')).body.result;
    expect(installations.map((i) => i.client_id).sort()).toEqual([appA, appB]);
    await expect(page.locator('tbody tr').count()).resolves.toBe(installations.length);
    await shoot(page, 'portals');

    await page.goto(`${stack.url}/console/#/bindings`);
    await page.getByRole('heading', { name: 'Bindings' }).waitFor();
    await page.locator('tbody tr').first().waitFor();
    const bindings = (await apiOf<{ result: { handler: string }[] }>(page, 'bindings')).body.result;
    expect(bindings).toHaveLength(2);
    await expect(page.locator('tbody tr').count()).resolves.toBe(2);
    await expect(page.locator('tbody').textContent()).resolves.toContain(`${sink.url}/hook`);
    await shoot(page, 'bindings');

    await page.goto(`${stack.url}/console/#/queues`);
    await page.getByRole('heading', { name: 'Offline queues' }).waitFor();
    const queues = (await apiOf<{ result: { clientId: string; connector: string; pending: number }[] }>(page, 'queues')).body.result;
    const queueB = queues.find((q) => q.clientId === appB)!;
    expect(queueB.pending).toBe(3);
    await expect(page.locator(`[data-pending="${appB}/"]`).textContent()).resolves.toBe('3');
    await shoot(page, 'queues');
    await context.close();
  });

  it('lists deliveries with their detail, and a filtered resend reaches the sink again', async () => {
    const { context, page } = await signedIn();
    await page.goto(`${stack.url}/console/#/deliveries`);
    await page.getByLabel('Application').selectOption(`${memberA}/${appA}`);
    await page.getByLabel('Status').selectOption('delivered');
    await page.getByLabel('Event').fill('ONCRMDEALADD');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await page.getByText('attempts match.').waitFor();
    const listed = (await apiOf<{ result: { total: number; items: { ID: string }[] } }>(page, `deliveries?member_id=${memberA}&client_id=${appA}&status=delivered&event=ONCRMDEALADD`)).body.result;
    expect(listed.total).toBe(5);
    await expect(page.getByText('attempts match.').textContent()).resolves.toBe('5 attempts match.');
    await expect(page.locator('tbody tr').count()).resolves.toBe(5);
    await page.getByRole('button', { name: `Details of ${listed.items[0]!.ID}` }).click();
    await expect(page.getByRole('region', { name: 'Delivery detail' }).textContent()).resolves.toContain('"FIELDS"');
    await shoot(page, 'deliveries');

    const before = sink.received.length;
    await page.getByRole('button', { name: 'Resend all matching' }).click();
    await expect(page.locator('#resend-result').textContent()).resolves.toBe('Queued 5 deliveries again.');
    const again = await sink.waitFor(before + 5, 90_000);
    const ids = again.slice(before).map((r) => new URLSearchParams(r.body).get('data[FIELDS][ID]')).sort();
    expect(ids).toEqual(['1', '2', '3', '4', '5']);
    await context.close();
  });

  it('shows a parked delivery on the dead-letter page with the figures the API returns; Redrive and Redrive all send them back to the sink', async () => {
    const runtime = readRuntimeFile(dir)!;
    const sqs = sqsClient({ AWS_REGION: 'us-east-1', SQS_ENDPOINT: runtime.sqs_endpoint! });
    const queueUrl = runtime.delivery_queue_url!;
    const { QueueUrl: deadLetterUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: `${queueUrl.split('/').pop()!}-dlq` }));
    const { context, page } = await signedIn();
    const binding = (await apiOf<{ result: { id: number; clientId: string; handler: string }[] }>(page, 'bindings')).body.result.find((b) => b.clientId === appA)!;
    // Parked as the deliver worker parks a delivery whose retries are exhausted (SqsDeliveryQueue.park).
    const park = (id: number) => {
      const deliveryId = newDeliveryId();
      const message = { memberId: memberA, clientId: appA, bindingId: binding.id, event: 'ONCRMDEALADD', handler: binding.handler, userId: 1, data: { FIELDS: { ID: id } }, ts: Math.floor(Date.now() / 1000), attempt: 5, deliveryId };
      return new SqsDeliveryQueue(sqs, queueUrl, deadLetterUrl!).park(message, '5 attempts failed; last: HTTP 503').then(() => deliveryId);
    };
    const first = await park(901);

    await page.getByRole('link', { name: 'Dead letters' }).click();
    await page.getByRole('heading', { name: 'Dead-letter queue' }).waitFor();
    await page.locator(`[data-delivery="${first}"]`).waitFor();
    type Dlq = { depth: number; messages: { message_id: string; delivery_id: string; event: string; handler: string; member_id: string; client_id: string; attempts: number; reason: string; sent_at: string }[] };
    const dlq = (await apiOf<{ result: Dlq }>(page, 'dlq')).body.result;
    expect(dlq.depth).toBe(1);
    expect(dlq.messages).toEqual([expect.objectContaining({ delivery_id: first, event: 'ONCRMDEALADD', handler: binding.handler, member_id: memberA, client_id: appA, attempts: 5, reason: '5 attempts failed; last: HTTP 503' })]);
    await expect(figure(page, 'dlq-depth')).resolves.toBe('1');
    const row = await page.locator('tbody tr').first().textContent();
    for (const text of [first, 'ONCRMDEALADD', binding.handler, memberA, appA, '5: 5 attempts failed; last: HTTP 503', dlq.messages[0]!.sent_at.replace('T', ' ').slice(0, 19)]) expect(row).toContain(text);
    await shoot(page, 'dead-letters');

    const idOf = (r: { body: string }) => new URLSearchParams(r.body).get('data[FIELDS][ID]');
    const before = sink.received.length;
    await page.getByRole('button', { name: `Redrive ${first}` }).click();
    await expect(page.locator('#redrive-result').textContent()).resolves.toBe('Redrove 1 delivery.');
    const back = await until('the redriven delivery at the sink', async () => sink.received.slice(before).find((r) => idOf(r) === '901'));
    expect(back.headers['webhook-id']).toBe(first);
    await expect(figure(page, 'dlq-depth')).resolves.toBe('0');

    const more = [await park(902), await park(903)];
    await page.reload();
    await page.locator(`[data-delivery="${more[1]!}"]`).waitFor();
    await expect(figure(page, 'dlq-depth')).resolves.toBe('2');
    await page.getByRole('button', { name: 'Redrive all' }).click();
    await expect(page.locator('#redrive-result').textContent()).resolves.toBe('Redrove 2 deliveries.');
    await until('both redriven deliveries at the sink', async () => ['902', '903'].every((id) => sink.received.slice(before).some((r) => idOf(r) === id)));
    expect((await apiOf<{ result: Dlq }>(page, 'dlq')).body.result).toEqual({ depth: 0, messages: [] });
    await page.getByText('The dead-letter queue is empty.').waitFor();
    sqs.destroy();
    await context.close();
  });

  it('the application link shows one application and refuses another one’s ids in the URL and in requests', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(link);
    await page.getByText(`Application ${appA} on ${memberA}`).waitFor();
    // Only its own pages: no operator page, only its own bindings.
    await expect(page.getByRole('link', { name: 'Portals' }).count()).resolves.toBe(0);
    await expect(page.getByRole('link', { name: 'Dead letters' }).count()).resolves.toBe(0);
    // The dead-letter queue is the operator's: 403 for an application session, read or redrive.
    expect(await apiOf<{ error: string }>(page, 'dlq')).toMatchObject({ status: 403, body: { error: 'ACCESS_DENIED' } });
    const redrive = await page.request.post(`${stack.url}/console/api/dlq/redrive`, { data: {}, headers: { origin: stack.url, 'content-type': 'application/json' } });
    expect(redrive.status()).toBe(403);
    const own = (await apiOf<{ result: { clientId: string }[] }>(page, 'bindings')).body.result;
    expect(own.map((b) => b.clientId)).toEqual([appA]);
    await page.goto(`${stack.url}/console/#/deliveries`);
    await page.getByText('attempts match.').waitFor();
    await shoot(page, 'application-deliveries');

    for (const path of [`bindings?member_id=${memberB}&client_id=${appB}`, `queues?member_id=${memberB}`, `deliveries?member_id=${memberA}&client_id=${appB}`, `overview?client_id=${appB}`, 'installations?member_id=zz']) {
      const reply = await apiOf<{ error: string }>(page, path);
      expect([403, 400]).toContain(reply.status);
      expect(reply.body.error).toMatch(/ACCESS_DENIED|ERROR_ARGUMENT/);
    }
    await page.goto(`${stack.url}/console/#/queues?member_id=${memberB}&client_id=${appB}`);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('limited to one application');
    const before = sink.received.length;
    const resend = await page.request.post(`${stack.url}/console/api/resend`, {
      data: { member_id: memberB, client_id: appB, filter: { status: 'delivered' } },
      headers: { origin: stack.url, 'content-type': 'application/json' },
    });
    expect(resend.status()).toBe(403);
    expect(sink.received.length).toBe(before);
    // A used link's token is not a session: a forged cookie gets nothing.
    const forged = await browser.newContext();
    await forged.addCookies([{ name: 'b24hub_console', value: new URL(link).searchParams.get('token')!, url: `${stack.url}/console/` }]);
    expect((await forged.request.get(`${stack.url}/console/api/me`)).status()).toBe(401);
    await forged.close();
    await context.close();
  });

  it('refuses a cross-site form post that carries the session cookie', async () => {
    const { context, page } = await signedIn();
    // Another origin (its own port) with a form that posts to the console on load.
    const evil: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end(
        `<form id="f" method="POST" enctype="text/plain" action="${stack.url}/console/api/resend"><input name='{"member_id":"${memberA}","client_id":"${appA}","filter":{"status":"delivered"},"x":"' value='"}'></form><script>document.getElementById('f').submit()</script>`,
      );
    });
    evil.listen(0, '127.0.0.1');
    await once(evil, 'listening');
    const before = sink.received.length;
    const answered = page.waitForResponse((r) => r.url().endsWith('/console/api/resend'));
    await page.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
    const response = await answered;
    expect(response.status()).toBe(403);
    expect(await response.json()).toMatchObject({ error: 'ACCESS_DENIED', error_description: expect.stringContaining('Cross-site request refused') });
    expect(sink.received.length).toBe(before);
    await new Promise<void>((r) => evil.close(() => r()));
    await context.close();
  });

  it('ends the session after CONSOLE_SESSION_SECONDS: the page asks to sign in again', async () => {
    const { context, page } = await signedIn();
    expect((await apiOf(page, 'me')).status).toBe(200);
    const expired = await until('the session to expire', async () => (await apiOf(page, 'me')).status === 401, (SESSION_SECONDS + 30) * 1000);
    expect(expired).toBe(true);
    await page.reload();
    await page.getByLabel('Operator credential').waitFor();
    await context.close();
  });
});
