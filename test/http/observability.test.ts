// This file checks the logs and metrics the other files keep quiet (test/support/setup.ts):
// on again before any module that logs is loaded.
process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
process.env.POWERTOOLS_METRICS_DISABLED = 'false';
import qs from 'qs';
import { startDeliveryHarness, type DeliveryHarness } from '../support/delivery-harness';
import { TEST_PRODUCER_KEY } from '../support/constants';
import { get, installUser, postForm, postJson, publishEvents } from '../support/fixtures';
import { startSink, type Sink } from '../support/sink';

/**
 * What operators see (docs/limits.md, issue 9): every log line is structured JSON carrying the
 * request id; deliveries and offline queue depth are CloudWatch metrics (embedded metric
 * format); and no credential or secret ever reaches a log line, whatever the flow.
 */
let harness: DeliveryHarness;
let sink: Sink;
const lines: string[] = [];
let restore: () => void;

beforeAll(async () => {
  harness = await startDeliveryHarness();
  sink = await startSink();
  const write = process.stdout.write.bind(process.stdout);
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = String(chunk);
    lines.push(...text.split('\n').filter((l) => l.trim() !== ''));
    // The JSON lines are what this file reads; they stay out of the test report.
    return text.trimStart().startsWith('{') ? true : write(chunk as string, ...(rest as []));
  }) as typeof process.stdout.write);
  restore = () => spy.mockRestore();
});
afterAll(async () => {
  restore();
  await sink.close();
  await harness.close();
});

const parse = (line: string): Record<string, unknown> | undefined => {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
};

describe('logs and metrics', () => {
  it('logs JSON with a request id on every line, emits delivery and queue metrics, and never logs a secret', async () => {
    const url = harness.server.url;
    const app = await installUser();
    const rest = (method: string, body: string) => postForm(`${url}/rest/${method}?auth=${app.accessToken}`, body);
    expect((await rest('event.bind', `event=ONCRMDEALADD&handler=${encodeURIComponent(sink.url)}&auth_type=1`)).status).toBe(200);
    expect((await rest('event.bind', 'event=ONCRMDEALUPDATE&event_type=offline')).status).toBe(200);
    await publishEvents(url, app.memberId, [
      { event: 'ONCRMDEALADD', data: { FIELDS: { ID: 1 } }, user_id: 1 },
      { event: 'ONCRMDEALUPDATE', data: { FIELDS: { ID: 1 } }, user_id: 1 },
    ]);
    await sink.waitFor(1, 15_000);
    expect((await rest('event.offline.get', 'clear=0')).status).toBe(200);
    const refreshed = await get(`${url}/oauth/token/?grant_type=refresh_token&client_id=${app.clientId}&client_secret=${app.clientSecret}&refresh_token=${app.refreshToken}`);
    expect(refreshed.status).toBe(200);
    // Refused and failing calls log too: a wrong token, a bad argument, a wrong producer key.
    await postForm(`${url}/rest/event.get?auth=${'0'.repeat(32)}`, '');
    await rest('event.offline.get', 'limit=many');
    await postJson(`${url}/producer/events`, { member_id: app.memberId, events: [] }, { authorization: 'Bearer wrong-key-0123456789' });
    await postForm(`${url}${new URL(app.webhookUrl).pathname}event.get`, '');

    const logged = lines.map(parse).filter((l): l is Record<string, unknown> => l !== undefined && ('level' in l || '_aws' in l));
    const logLines = logged.filter((l) => 'level' in l);
    expect(logLines.map((l) => l.message)).toEqual(expect.arrayContaining(['published', 'delivery', 'request refused']));
    for (const line of logLines) expect({ message: line.message, request: typeof line.function_request_id }).toEqual({ message: line.message, request: 'string' });

    const metricNames = logged.filter((l) => '_aws' in l).flatMap((l) => ((l._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }).CloudWatchMetrics[0]!.Metrics.map((m) => m.Name)));
    expect(metricNames).toEqual(expect.arrayContaining(['DeliveriesSucceeded', 'DeliveryLatency', 'OfflineQueuePending']));

    const secrets = {
      access_token: app.accessToken,
      refresh_token: app.refreshToken,
      refreshed_access_token: refreshed.body.access_token as string,
      refreshed_refresh_token: refreshed.body.refresh_token as string,
      webhook_secret: new URL(app.webhookUrl).pathname.split('/')[3]!,
      signing_secret: app.signingSecret,
      client_secret: app.clientSecret!,
      application_token: app.applicationToken,
      producer_key: TEST_PRODUCER_KEY,
      delivered_token: (qs.parse(sink.received[0]!.body) as { auth: { access_token: string } }).auth.access_token,
    };
    expect(secrets.delivered_token).toMatch(/^[0-9a-f]{32,}$/);
    const all = lines.join('\n');
    for (const [name, secret] of Object.entries(secrets)) expect({ name, logged: secret.length >= 16 && all.includes(secret) }).toEqual({ name, logged: false });
  });
});
