import { admitLimit, intervalMs, type RateLimitSettings } from '../../../lambdas/domain/rate-limit';
import type { RateLimiter } from '../../../lambdas/domain/ports';

/**
 * RateLimiter in memory: the leaky bucket of domain/rate-limit.ts kept as one `emptyAt` per
 * application, with the two conditional updates of adapters/dynamo/rate-limiter.ts (fill a
 * filling bucket unless it overflows; start an empty one from `now`). A limit of 0 per second
 * admits everything; a weight over the burst never fits.
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly emptyAt = new Map<string, number>();

  constructor(private readonly settings: RateLimitSettings) {}

  async admit(memberId: string, clientId: string, weight: number, now: number): Promise<boolean> {
    const s = this.settings;
    if (s.perSecond <= 0) return true;
    if (weight > s.burst) return false;
    const key = `${memberId}#${clientId}`;
    const add = weight * intervalMs(s);
    const emptyAt = this.emptyAt.get(key);
    if (emptyAt !== undefined && emptyAt > now) {
      if (emptyAt > admitLimit(s, now, weight)) return false;
      this.emptyAt.set(key, emptyAt + add);
      return true;
    }
    this.emptyAt.set(key, now + add);
    return true;
  }
}
