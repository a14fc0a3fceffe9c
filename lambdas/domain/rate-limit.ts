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

/**
 * How many requests a container takes from the shared bucket at once (docs/limits.md): the
 * configured lease, at most a tenth of the bucket (so a small bucket stays exact: with
 * Bitrix24's 50, leases of 5), at least 1 (no lease: one write per request).
 */
export const leaseSize = (s: RateLimitSettings, configured: number): number => Math.max(1, Math.min(Math.floor(configured), Math.floor(s.burst / 10)));

/** A container's lease: requests already taken from the shared bucket, not yet spent. */
interface Lease {
  left: number;
  size: number;
  expiresAt: number;
}

/**
 * The shared bucket spent in leases (docs/limits.md, docs/decisions.md). A request first spends
 * from this container's lease of its application; when the lease is short or older than
 * `leaseMs`, it takes a new lease (its own weight included) from the shared bucket, and when
 * that does not fit, just its own weight, so near the limit the answer is the shared bucket's.
 * A new lease replaces what was left of the old one (unspent requests are lost, never counted
 * twice). Leases grow with the demand: the first is 1 request (the exact shared bucket), and a
 * lease used up before it expired is followed by one twice as large, up to `maxSize`; after an
 * expired one, the next is 1 again. An application calling rarely is counted exactly; one calling
 * often pays a write per `maxSize` calls.
 *
 * The bound: every request spent was first taken from the shared bucket, so over any span of
 * time the requests admitted exceed the bucket's own allowance (burst + perSecond × span) by at
 * most what the leases held when the span began: containers × (maxSize − 1). Near the limit, a
 * container can be refused while another holds up to maxSize − 1 requests of the same
 * application: the same amount below. `maxSize` 1 is the exact shared bucket.
 */
export class LeasedRateLimiter {
  private readonly leases = new Map<string, Lease>();

  constructor(
    private readonly shared: { admit(memberId: string, clientId: string, weight: number, now: number): Promise<boolean> },
    private readonly maxSize: number,
    private readonly leaseMs: number,
    /** Applications remembered at once; past it the oldest lease is dropped (lost, never counted twice). */
    private readonly maxLeases = 10_000,
  ) {}

  async admit(memberId: string, clientId: string, weight: number, now: number): Promise<boolean> {
    const key = `${memberId}#${clientId}`;
    const lease = this.leases.get(key);
    const live = lease !== undefined && lease.expiresAt > now;
    if (live && lease.left >= weight) {
      lease.left -= weight;
      return true;
    }
    // Used up while still valid: the demand is there, so the next lease doubles.
    const size = live ? Math.min(this.maxSize, lease.size * 2) : 1;
    if (size > weight && (await this.shared.admit(memberId, clientId, size, now))) {
      this.remember(key, { left: size - weight, size, expiresAt: now + this.leaseMs });
      return true;
    }
    if (!(await this.shared.admit(memberId, clientId, weight, now))) return false;
    this.remember(key, { left: 0, size: Math.max(1, Math.min(this.maxSize, weight, size)), expiresAt: now + this.leaseMs });
    return true;
  }

  private remember(key: string, lease: Lease): void {
    this.leases.delete(key);
    if (this.leases.size >= this.maxLeases) this.leases.delete(this.leases.keys().next().value!);
    this.leases.set(key, lease);
  }
}
