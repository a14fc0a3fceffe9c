/**
 * The per-application request limit (docs/limits.md), as Bitrix24 documents it: a leaky bucket that
 * drains at `perSecond` requests per second and holds at most `burst`. A request that would
 * overflow it is refused with 503 QUERY_LIMIT_EXCEEDED; `batch` weighs as many requests as it
 * has commands.
 *
 * The bucket is kept as one number, the time at which it will be empty again (`emptyAt`, unix
 * ms; the generic cell rate algorithm). A request of weight w at time t is admitted when
 * max(emptyAt, t) + w·interval − t ≤ burst·interval, and moves emptyAt there. Storage needs
 * only conditional arithmetic on that number (adapters/dynamo/rate-limiter.ts).
 */
export interface RateLimitSettings {
  /** Requests per second the bucket drains; 0 turns the limit off. */
  perSecond: number;
  /** Requests the bucket holds: the largest burst from an idle application. */
  burst: number;
}

/** Bitrix24's documented values for a standard portal: 2 requests per second, a bucket of 50. */
export const BITRIX_RATE_LIMIT: RateLimitSettings = { perSecond: 2, burst: 50 };

/** Milliseconds one request of weight 1 keeps in the bucket. */
export const intervalMs = (s: RateLimitSettings): number => 1000 / s.perSecond;

/** The latest `emptyAt` at which a request of `weight` is still admitted at `now`. */
export const admitLimit = (s: RateLimitSettings, now: number, weight: number): number => now + (s.burst - weight) * intervalMs(s);
