import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, QUICK_START_JAVA_OPTIONS } from '../../local/dynamodb';
import { postForm, postJson } from '../support/fixtures';
import { developerEnv, interrupt, killGroup, npmStart, ROOT, type Started } from '../support/npm-start';

const run = promisify(execFile);

/**
 * A queue over its size limit (docs/journal.md, "Retention and queue size"), on `npm start`
 * with JOURNAL_QUEUE_MAX_RECORDS=5 and a trim after every write: the oldest records go, and
 * `event.offline.get` and the metrics say how many, never silently.
 */
describe('queue size limit on the local runtime', () => {
  jest.setTimeout(180_000);
  let dir: string;
  let stack: Started | undefined;
  afterAll(async () => {
    if (stack) await interrupt(stack).catch(() => killGroup(stack!.child.pid));
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the newest 5 records and reports the 7 it removed', async () => {
    dir = mkdtempSync(join(tmpdir(), 'b24-limits-'));
    // Logs and metrics on (the test run keeps them quiet, test/support/setup.ts): this test reads them.
    const env = { DYNAMODB_LOCAL_JAVA_OPTIONS: QUICK_START_JAVA_OPTIONS, JOURNAL_QUEUE_MAX_RECORDS: '5', JOURNAL_TRIM_INTERVAL_SECONDS: '0', POWERTOOLS_LOG_LEVEL: 'INFO', POWERTOOLS_METRICS_DISABLED: 'false' };
    stack = await npmStart(await freePort(), dir, env);
    const memberId = 'e'.repeat(32);
    const { stdout } = await run(join(ROOT, 'node_modules', '.bin', 'tsx'), ['bin/admin.ts', 'install', '--member-id', memberId, '--domain', 'e.example.com', '--client-id', 'local.limits', '--user-id', '1', '--admin'], {
      cwd: ROOT,
      env: developerEnv({ ...env, DATA_DIR: dir }),
    });
    const token = (JSON.parse(stdout) as { access_token: string }).access_token;
    const producerKey = readFileSync(join(dir, 'producer-key'), 'utf8').trim();
    expect((await postForm(`${stack.url}/rest/event.bind?auth=${token}`, 'event=ONCRMDEALADD&event_type=offline')).body.result).toBe(true);
    const publish = (ids: number[]) =>
      postJson(`${stack!.url}/producer/events`, { member_id: memberId, events: ids.map((id) => ({ event: 'ONCRMDEALADD', data: { FIELDS: { ID: id } } })) }, { authorization: `Bearer ${producerKey}` });

    expect((await publish([1, 2, 3, 4, 5, 6, 7, 8])).body.result).toMatchObject({ records_created: 8 });
    expect((await publish([9, 10, 11, 12])).body.result).toMatchObject({ records_created: 4 });

    const got = await postForm(`${stack.url}/rest/event.offline.get?auth=${token}`, 'limit=50');
    expect(got.status).toBe(200);
    const events = (got.body.result as { events: { EVENT_DATA: { FIELDS: { ID: number } } }[] }).events;
    expect(events.map((e) => e.EVENT_DATA.FIELDS.ID)).toEqual([8, 9, 10, 11, 12]);
    expect(got.body.queue).toEqual({ pending: 0, pending_exact: true, oldest_age: null, removed_expired: 0, removed_overflow: 7 });
    // Counted in the metrics and logged with the queue it concerns.
    expect(stack.output()).toMatch(/"OfflineRecordsOverflowed":3\b/);
    expect(stack.output()).toMatch(/"OfflineRecordsOverflowed":4\b/);
    expect(stack.output()).toMatch(new RegExp(`offline queue trimmed.*"member_id":"${memberId}"|"member_id":"${memberId}".*offline queue trimmed`));
  });
});
