import { randomBytes } from 'node:crypto';
import type { RateLimiter } from '../../lambdas/domain/ports';
import { LeasedRateLimiter, type RateLimitSettings } from '../../lambdas/domain/rate-limit';

/** What every RateLimiter does; run against the DynamoDB adapter and the in-memory fake. */
export function rateLimiterContract(name: string, make: (settings: RateLimitSettings) => RateLimiter): void {
  const app = () => [randomBytes(16).toString('hex'), 'app.one'] as const;

  describe(`RateLimiter contract: ${name}`, () => {
    it('admits a burst from an idle application, refuses past it, and admits again as the bucket drains', async () => {
      const limiter = make({ perSecond: 2, burst: 4 });
      const [m, c] = app();
      const t = 1_000_000;
      const burst = [];
      for (let i = 0; i < 5; i++) burst.push(await limiter.admit(m, c, 1, t));
      expect(burst).toEqual([true, true, true, true, false]);
      expect(await limiter.admit(m, c, 1, t + 499)).toBe(false);
      expect(await limiter.admit(m, c, 1, t + 500)).toBe(true);
      expect(await limiter.admit(m, c, 2, t + 1500)).toBe(true);
      expect(await limiter.admit(m, c, 4, t + 10_000)).toBe(true);
    });

    it('weighs a request (batch) as its commands; one heavier than the bucket never fits', async () => {
      const limiter = make({ perSecond: 2, burst: 4 });
      const [m, c] = app();
      expect(await limiter.admit(m, c, 5, 1_000_000)).toBe(false);
      expect(await limiter.admit(m, c, 3, 1_000_000)).toBe(true);
      expect(await limiter.admit(m, c, 2, 1_000_000)).toBe(false);
      expect(await limiter.admit(m, c, 1, 1_000_000)).toBe(true);
    });

    it('counts parallel requests: of a burst of 10 at once, exactly the bucket’s 4 get in', async () => {
      const limiter = make({ perSecond: 2, burst: 4 });
      const [m, c] = app();
      const admitted = await Promise.all(Array.from({ length: 10 }, () => limiter.admit(m, c, 1, 1_000_000)));
      expect(admitted.filter(Boolean)).toHaveLength(4);
    });

    it('spent in leases by several containers, still counts each lease in the one bucket: at one instant exactly the burst gets in', async () => {
      const shared = make({ perSecond: 1, burst: 20 });
      const fronts = [1, 2, 3].map(() => new LeasedRateLimiter(shared, 4, 1000));
      const [m, c] = app();
      // The three containers at once, each asking until it is refused (so no lease is left unspent).
      const admitted = await Promise.all(
        fronts.map(async (front) => {
          let n = 0;
          while (await front.admit(m, c, 1, 1_000_000)) n++;
          return n;
        }),
      );
      expect(admitted.reduce((a, b) => a + b, 0)).toBe(20);
      expect(await shared.admit(m, c, 1, 1_000_000)).toBe(false);
    });

    it('keeps applications apart, and a limit of 0 per second admits everything', async () => {
      const limiter = make({ perSecond: 2, burst: 1 });
      const [m] = app();
      expect(await limiter.admit(m, 'app.one', 1, 1_000_000)).toBe(true);
      expect(await limiter.admit(m, 'app.two', 1, 1_000_000)).toBe(true);
      const off = make({ perSecond: 0, burst: 1 });
      expect(await Promise.all([1, 2, 3].map(() => off.admit(m, 'app.one', 100, 1_000_000)))).toEqual([true, true, true]);
    });
  });
}
