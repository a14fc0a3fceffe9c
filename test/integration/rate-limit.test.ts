import { randomBytes } from 'node:crypto';
import { DynamoRateLimiter } from '../../lambdas/adapters/dynamo/rate-limiter';
import { BITRIX_RATE_LIMIT, type RateLimitSettings } from '../../lambdas/domain/rate-limit';
import { wiring } from '../support/wiring';
import { installUser, postJson, startTestServer, type TestServer } from '../support/fixtures';

// This file's handlers run with a small bucket: 4 at most, one request drained every 4 s (slow
// enough that none drains between calls, however loaded the machine), leases of 1 (a tenth of 4).
process.env.RATE_LIMIT_PER_SECOND = '0.25';
process.env.RATE_LIMIT_BURST = '4';

const app = () => randomBytes(8).toString('hex');
const limiter = (perSecond: number, burst: number) => new DynamoRateLimiter(wiring().db, wiring().config.TABLE_DELIVERIES, { perSecond, burst });

/**
 * The bucket as Bitrix24's documentation tells it, independent of the service's formula: a level
 * of requests that drains at `perSecond` and holds at most `burst`. Kept in thousandths of a
 * request, so the arithmetic is exact.
 */
function leakyBucket(s: RateLimitSettings): (weight: number, at: number) => boolean {
  let level = 0;
  let last: number | undefined;
  return (weight, at) => {
    if (last !== undefined) level = Math.max(0, level - (at - last) * s.perSecond);
    last = at;
    if (level + weight * 1000 > s.burst * 1000) return false;
    level += weight * 1000;
    return true;
  };
}

describe('the leaky bucket in DynamoDB', () => {
  it('admits a burst, refuses the next request, and admits again as the bucket drains', async () => {
    const bucket = limiter(2, 5);
    const member = app();
    const t = 1_800_000_000_000;
    const first = [];
    for (let i = 0; i < 5; i++) first.push(await bucket.admit(member, 'local.a', 1, t));
    expect(first).toEqual([true, true, true, true, true]);
    expect(await bucket.admit(member, 'local.a', 1, t)).toBe(false);
    expect(await bucket.admit(member, 'local.a', 1, t + 499)).toBe(false);
    expect(await bucket.admit(member, 'local.a', 1, t + 500)).toBe(true); // 2/s: one drained
    expect(await bucket.admit(member, 'local.a', 2, t + 1000)).toBe(false); // one drained, two asked
    expect(await bucket.admit(member, 'local.a', 1, t + 1000)).toBe(true);
    // Another application of the same portal has its own bucket.
    expect(await bucket.admit(member, 'local.b', 5, t)).toBe(true);
    // Idle long enough, the bucket is empty again; more than the bucket holds never fits.
    expect(await bucket.admit(member, 'local.a', 5, t + 60_000)).toBe(true);
    expect(await bucket.admit(member, 'local.c', 6, t)).toBe(false);
  });

  it('counts every one of many concurrent requests exactly once', async () => {
    const bucket = limiter(1, 10);
    const member = app();
    const t = 1_800_000_000_000;
    const answers = await Promise.all(Array.from({ length: 25 }, () => bucket.admit(member, 'local.a', 1, t)));
    expect(answers.filter(Boolean)).toHaveLength(10);
  });

  it('agrees with the leaky bucket as Bitrix24 describes it, over a long request sequence', async () => {
    const s = { perSecond: 3, burst: 7 };
    const bucket = limiter(s.perSecond, s.burst);
    const reference = leakyBucket(s);
    const member = app();
    let t = 1_800_000_000_000;
    const answers: boolean[] = [];
    for (let i = 0; i < 60; i++) {
      t += Math.floor(((i * 7919) % 13) * 40);
      const weight = 1 + ((i * 31) % 3);
      const admitted = await bucket.admit(member, 'local.a', weight, t);
      expect(admitted).toBe(reference(weight, t));
      answers.push(admitted);
    }
    // The sequence exercises both answers, so the agreement means something.
    expect(answers.filter(Boolean).length).toBeGreaterThan(10);
    expect(answers.filter((a) => !a).length).toBeGreaterThan(10);
  });

  it('is off with a rate of 0, and defaults to Bitrix24’s documented 2 per second and 50', async () => {
    expect(await limiter(0, 1).admit(app(), 'local.a', 1000, Date.now())).toBe(true);
    expect(BITRIX_RATE_LIMIT).toEqual({ perSecond: 2, burst: 50 });
  });
});

describe('the REST surface over the limit', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('answers 503 QUERY_LIMIT_EXCEEDED past the burst, per application, and batch weighs its commands', async () => {
    const a = await installUser();
    const b = await installUser();
    const call = (token: string, method = 'event.get', body: unknown = {}) => postJson(`${server.url}/rest/${method}?auth=${token}`, body);
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await call(a.accessToken)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 503]);
    const refused = await call(a.accessToken);
    expect(refused).toMatchObject({ status: 503, body: { error: 'QUERY_LIMIT_EXCEEDED' } });
    expect(String(refused.body.error_description)).toMatch(/rate limit/);

    // b is not slowed down by a.
    expect((await call(b.accessToken, 'batch', { cmd: { x: 'event.get', y: 'events', z: 'event.get' } })).status).toBe(200);
    // The batch of three took three: one request is left, then b is over too.
    expect((await call(b.accessToken)).status).toBe(200);
    expect((await call(b.accessToken)).status).toBe(503);

    // Once one request has drained from a's bucket (4 s), one more gets in, and the next does not.
    const deadline = Date.now() + 20_000;
    let status = 503;
    while (status === 503 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      status = (await call(a.accessToken)).status;
    }
    expect(status).toBe(200);
    expect((await call(a.accessToken)).status).toBe(503);
  });
});
