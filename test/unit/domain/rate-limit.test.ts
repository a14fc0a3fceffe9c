import fc from 'fast-check';
import { LeasedRateLimiter, leaseSize, type RateLimitSettings } from '../../../lambdas/domain/rate-limit';
import { MemoryRateLimiter } from '../../support/memory';

/**
 * The shared bucket spent in leases (domain/rate-limit.ts, docs/limits.md): over any span of
 * time, an application gets at most burst + perSecond × span requests (the shared bucket's own
 * allowance) plus containers × (lease − 1), whatever the order and timing of its requests.
 */

const M = 'a'.repeat(32);
const C = 'app.one';

interface Step {
  container: number;
  weight: number;
  /** Milliseconds since the previous request. */
  gap: number;
}

async function replay(settings: RateLimitSettings, containers: number, size: number, leaseMs: number, steps: Step[]) {
  const shared = new MemoryRateLimiter(settings);
  const fronts = Array.from({ length: containers }, () => new LeasedRateLimiter(shared, size, leaseMs));
  let t = 1_000_000;
  const admitted: { t: number; weight: number }[] = [];
  const answers: boolean[] = [];
  for (const step of steps) {
    t += step.gap;
    const ok = await fronts[step.container % containers]!.admit(M, C, step.weight, t);
    answers.push(ok);
    if (ok) admitted.push({ t, weight: step.weight });
  }
  return { admitted, answers };
}

/** The most any span [admitted[i].t, admitted[j].t] got above the shared bucket's allowance. */
function worstOvershoot(settings: RateLimitSettings, admitted: { t: number; weight: number }[]): number {
  let worst = -Infinity;
  for (let i = 0; i < admitted.length; i++) {
    let sum = 0;
    for (let j = i; j < admitted.length; j++) {
      sum += admitted[j]!.weight;
      const allowance = settings.burst + (settings.perSecond * (admitted[j]!.t - admitted[i]!.t)) / 1000;
      worst = Math.max(worst, sum - allowance);
    }
  }
  return worst;
}

const steps = (containers: number) =>
  fc.array(
    fc.record({
      container: fc.integer({ min: 0, max: containers - 1 }),
      weight: fc.integer({ min: 1, max: 3 }),
      gap: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 3000 })),
    }),
    { minLength: 1, maxLength: 150 },
  );

describe('LeasedRateLimiter', () => {
  it('never admits more than the shared allowance plus containers × (lease − 1), over any span', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 0, max: 3 }), async (containers, size, leaseMs, rate) => {
        const settings = { perSecond: [1, 2, 4, 8][rate]!, burst: 20 };
        await fc.assert(
          fc.asyncProperty(steps(containers), async (s) => {
            const { admitted } = await replay(settings, containers, size, leaseMs, s);
            expect(worstOvershoot(settings, admitted)).toBeLessThanOrEqual(containers * (size - 1) + 1e-9);
          }),
          { numRuns: 20 },
        );
      }),
      { numRuns: 30 },
    );
  });

  it('reaches the bound: leases taken before a span are spent in it, on top of a full bucket', async () => {
    const settings = { perSecond: 40, burst: 40 };
    const containers = 3;
    const size = 5;
    // Each of three containers makes 8 calls at once: leases of 1, 2, 4 used up, then one of 5
    // with 4 left. The bucket drains those 36 requests before the leases expire; then the
    // leases are spent and a fourth container fills the bucket, all at the same instant.
    const warm = (container: number): Step[] => Array.from({ length: 8 }, () => ({ container, weight: 1, gap: 0 }));
    const s: Step[] = [
      ...warm(0),
      ...warm(1),
      ...warm(2),
      ...Array.from({ length: containers * (size - 1) }, (_, i) => ({ container: i % 3, weight: 1, gap: i === 0 ? 999 : 0 })),
      ...Array.from({ length: 45 }, () => ({ container: 3, weight: 1, gap: 0 })),
    ];
    const { admitted } = await replay(settings, containers + 1, size, 1000, s);
    const inSpan = admitted.filter((a) => a.t === admitted[admitted.length - 1]!.t);
    expect(inSpan).toHaveLength(settings.burst + containers * (size - 1));
    expect(worstOvershoot(settings, admitted)).toBe(containers * (size - 1));
  });

  it('with leases of 1 answers exactly as the shared bucket does', async () => {
    await fc.assert(
      fc.asyncProperty(steps(3), async (s) => {
        const settings = { perSecond: 2, burst: 10 };
        const { answers } = await replay(settings, 3, 1, 1000, s);
        const plain = new MemoryRateLimiter(settings);
        let t = 1_000_000;
        const expected = [];
        for (const step of s) expected.push(await plain.admit(M, C, step.weight, (t += step.gap)));
        expect(answers).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });

  it('near the limit, a container without a lease still gets what the shared bucket holds', async () => {
    const shared = new MemoryRateLimiter({ perSecond: 1, burst: 10 });
    const front = new LeasedRateLimiter(shared, 4, 1000);
    const t = 1_000_000;
    const got = [];
    for (let i = 0; i < 11; i++) got.push(await front.admit(M, C, 1, t));
    // Leases of 1, 2, 4, then 4 does not fit: three single requests; all ten fit, the eleventh does not.
    expect(got).toEqual([...Array(10).fill(true), false]);
  });

  it('grows leases while they are used up in time, up to the largest, and starts again from 1 after one expired', async () => {
    let writes = 0;
    const shared = new MemoryRateLimiter({ perSecond: 1, burst: 100 });
    const front = new LeasedRateLimiter({ admit: (m, c, w, now) => (writes++, shared.admit(m, c, w, now)) }, 10, 1000);
    // Leases of 1, 2, 4, 8, 10, 10: 35 requests, 6 writes; 30 calls spend all but 5 of them.
    for (let i = 0; i < 30; i++) expect(await front.admit(M, C, 1, 1_000_000)).toBe(true);
    expect(writes).toBe(6);
    expect(shared.emptyAt.get(`${M}#${C}`)).toBe(1_000_000 + 35 * 1000);
    // A second later the lease has expired (its 5 are lost): the next lease is 1 request again.
    expect(await front.admit(M, C, 1, 1_001_000)).toBe(true);
    expect(writes).toBe(7);
    expect(shared.emptyAt.get(`${M}#${C}`)).toBe(1_000_000 + 36 * 1000);
    // A batch heavier than the lease takes its own weight.
    expect(await front.admit(M, C, 12, 1_001_000)).toBe(true);
    expect(writes).toBe(8);
    expect(shared.emptyAt.get(`${M}#${C}`)).toBe(1_000_000 + 48 * 1000);
  });

  it('counts an application that calls less often than once per lease lifetime exactly: a write per call', async () => {
    let writes = 0;
    const shared = new MemoryRateLimiter({ perSecond: 1, burst: 100 });
    const front = new LeasedRateLimiter({ admit: (m, c, w, now) => (writes++, shared.admit(m, c, w, now)) }, 10, 1000);
    for (let i = 0; i < 5; i++) expect(await front.admit(M, C, 1, 1_000_000 + i * 1500)).toBe(true);
    expect(writes).toBe(5);
  });

  it('leases at most a tenth of the bucket, at least 1', () => {
    expect(leaseSize({ perSecond: 2, burst: 50 }, 10)).toBe(5);
    expect(leaseSize({ perSecond: 2, burst: 4 }, 10)).toBe(1);
    expect(leaseSize({ perSecond: 1000, burst: 1_000_000 }, 10)).toBe(10);
    expect(leaseSize({ perSecond: 1000, burst: 1_000_000 }, 1)).toBe(1);
  });
});
