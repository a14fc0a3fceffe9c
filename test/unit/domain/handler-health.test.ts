import { afterAttempt, decide, HEALTHY, spacing, worthStoring, type HandlerHealth } from '../../../lambdas/domain/handler-health';

/** Replays attempts on a fake clock: each attempt starts when the handler's turn comes. */
function replay(latencies: { ok: boolean; latencyMs: number }[], start = 1_000_000): { health: HandlerHealth; starts: number[] } {
  let health = HEALTHY;
  let now = start;
  const starts: number[] = [];
  for (const outcome of latencies) {
    const decision = decide(health, now);
    if (!decision.deliver) now += decision.waitMs;
    starts.push(now);
    health = afterAttempt(health, outcome, now + outcome.latencyMs);
    now += outcome.latencyMs;
  }
  return { health, starts };
}

describe('handler health: slow handlers are called less often', () => {
  it('leaves a fast handler alone: no spacing, nothing to store', () => {
    const { health, starts } = replay(Array(20).fill({ ok: true, latencyMs: 80 }));
    expect(spacing(health)).toBe(0);
    expect(starts[19]! - starts[0]!).toBe(19 * 80);
    expect(worthStoring(HEALTHY, health)).toBe(false);
    expect(decide(health, 0)).toEqual({ deliver: true });
  });

  it('spaces a slow handler’s calls by four times its latency, and only one worker gets each turn', () => {
    const health = afterAttempt(HEALTHY, { ok: true, latencyMs: 5000 }, 10_000);
    expect(health).toEqual({ latencyMs: 5000, failures: 0, nextAt: 30_000 });
    expect(decide(health, 20_000)).toEqual({ deliver: false, waitMs: 10_000 });
    expect(decide(health, 30_000)).toEqual({ deliver: true, reserveUntil: 50_000 });
    expect(worthStoring(HEALTHY, health)).toBe(true);
  });

  it('backs off a failing handler 1 s, 2 s, 4 s … up to 5 minutes, and resets on success', () => {
    let health = HEALTHY;
    const gaps: number[] = [];
    for (let i = 0; i < 12; i++) {
      health = afterAttempt(health, { ok: false, latencyMs: 50 }, 0);
      gaps.push(health.nextAt);
    }
    expect(gaps.slice(0, 5)).toEqual([1000, 2000, 4000, 8000, 16000]);
    expect(gaps[11]).toBe(300_000);
    health = afterAttempt(health, { ok: true, latencyMs: 50 }, 0);
    expect(health.failures).toBe(0);
    expect(spacing(health)).toBe(0);
  });

  it('recovers: once a slow handler answers fast again, its spacing falls back to none', () => {
    const { health } = replay([...Array(3).fill({ ok: true, latencyMs: 6000 }), ...Array(6).fill({ ok: true, latencyMs: 100 })]);
    expect(health.latencyMs).toBeLessThan(2000);
    expect(spacing(health)).toBe(0);
    // While it recovers the health is still written, so every worker sees the recovery.
    expect(worthStoring({ latencyMs: 2500, failures: 0, nextAt: 1 }, health)).toBe(true);
  });

  it('treats a timeout as slow and failed at once', () => {
    const health = afterAttempt(HEALTHY, { ok: false, latencyMs: 10_000 }, 0);
    expect(spacing(health)).toBe(40_000);
  });
});
