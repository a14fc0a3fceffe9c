/**
 * Slow-handler control (docs/delivery.md): each handler URL has a health record (recent latency and
 * failures in a row). A healthy handler is called as events come. A slow or failing one is
 * called at most once per `spacing`: deliveries that arrive sooner wait in the queue (SQS
 * delay), so the workers' time goes to healthy handlers. The spacing shrinks again as the
 * handler answers quickly.
 */
export interface HandlerHealth {
  /** Moving average of the latency of recent attempts, ms (0 = never called). */
  latencyMs: number;
  /** Failed attempts in a row. */
  failures: number;
  /** Unix ms before which the next delivery waits; 0 = no wait. */
  nextAt: number;
  /** Unix ms of the first failure of the current run of failures (absent or 0 = not failing). */
  failingSince?: number;
  /** Applications (`member_id#client_id`) for which this handler is switched off, since when and why. */
  off?: Record<string, SwitchOff>;
}

/** A handler switched off for one application (docs/delivery.md "Dead handlers"). */
export interface SwitchOff {
  /** Unix ms. */
  at: number;
  reason: string;
}

/** The longest `Retry-After` honoured: a handler asking for more waits this long, then is called again. */
export const MAX_RETRY_AFTER_MS = 3600_000;

/** Key of an application in `HandlerHealth.off`. */
export const offKey = (memberId: string, clientId: string): string => `${memberId}#${clientId}`;

/** Whether (and since when, why) the handler is switched off for this application. */
export function switchedOff(health: HandlerHealth, memberId: string, clientId: string): SwitchOff | undefined {
  return health.off?.[offKey(memberId, clientId)];
}

/**
 * Why a handler is switched off after an attempt (docs/delivery.md "Dead handlers"): it answered
 * `410 Gone`, or every attempt has failed for `switchOffMs` or longer. Undefined = keep calling it.
 */
export function switchOffReason(after: HandlerHealth, status: number, now: number, switchOffMs: number): string | undefined {
  if (status === 410) return 'the handler answered 410 Gone';
  const since = after.failingSince ?? 0;
  if (after.failures > 0 && since > 0 && now - since >= switchOffMs) {
    return `every delivery failed for ${Math.round((now - since) / 1000)} s (${after.failures} attempts in a row)`;
  }
  return undefined;
}

export interface HealthSettings {
  /** An average latency above this makes a handler slow. */
  slowMs: number;
  /** The longest spacing between two calls of one handler. */
  maxSpacingMs: number;
}

export const DEFAULT_HEALTH_SETTINGS: HealthSettings = { slowMs: 2000, maxSpacingMs: 5 * 60_000 };
export const HEALTHY: HandlerHealth = { latencyMs: 0, failures: 0, nextAt: 0 };

/** Weight of the newest attempt in the latency average. */
const ALPHA = 0.3;

/** How long to leave between two calls of a handler in this state (0 = no limit). */
export function spacing(health: HandlerHealth, settings: HealthSettings = DEFAULT_HEALTH_SETTINGS): number {
  // Failing: 1 s, 2 s, 4 s, … between calls. Slow: four times its latency, so a handler that
  // takes 5 s gets at most one call every 20 s (and stays busy at most a fifth of the time).
  const afterFailures = health.failures === 0 ? 0 : 1000 * 2 ** Math.min(health.failures - 1, 20);
  const afterSlowness = health.latencyMs > settings.slowMs ? 4 * health.latencyMs : 0;
  return Math.min(settings.maxSpacingMs, Math.max(afterFailures, afterSlowness));
}

/**
 * The health after an attempt that took `latencyMs` and succeeded or not, at `now`. A handler
 * that answered 429 or 503 with `Retry-After` (`retryAfterMs`) is not called again before then
 * (at most MAX_RETRY_AFTER_MS), whatever its spacing says.
 */
export function afterAttempt(
  health: HandlerHealth,
  outcome: { ok: boolean; latencyMs: number; retryAfterMs?: number },
  now: number,
  settings = DEFAULT_HEALTH_SETTINGS,
): HandlerHealth {
  const latencyMs = health.latencyMs === 0 ? outcome.latencyMs : Math.round(ALPHA * outcome.latencyMs + (1 - ALPHA) * health.latencyMs);
  const failingSince = outcome.ok ? 0 : health.failures > 0 && health.failingSince ? health.failingSince : now;
  const next: HandlerHealth = { latencyMs, failures: outcome.ok ? 0 : health.failures + 1, nextAt: 0, ...(failingSince ? { failingSince } : {}), ...(health.off ? { off: health.off } : {}) };
  const gap = Math.max(spacing(next, settings), outcome.ok ? 0 : Math.min(MAX_RETRY_AFTER_MS, outcome.retryAfterMs ?? 0));
  return { ...next, nextAt: gap > 0 ? now + gap : 0 };
}

export type HealthDecision = { deliver: true; reserveUntil?: number } | { deliver: false; waitMs: number };

/**
 * Whether a delivery to a handler in this state goes now. A limited handler's turn is
 * reserved (`reserveUntil`) with a conditional write, so of parallel workers only one calls it.
 */
export function decide(health: HandlerHealth, now: number, settings = DEFAULT_HEALTH_SETTINGS): HealthDecision {
  if (health.nextAt > now) return { deliver: false, waitMs: health.nextAt - now };
  const gap = spacing(health, settings);
  return gap > 0 ? { deliver: true, reserveUntil: now + gap } : { deliver: true };
}

/** Whether the stored health needs writing after an attempt (a healthy, fast handler costs no write). */
export function worthStoring(before: HandlerHealth, after: HandlerHealth, settings = DEFAULT_HEALTH_SETTINGS): boolean {
  const limited = (h: HandlerHealth) => h.failures > 0 || h.latencyMs > settings.slowMs / 2 || h.nextAt > 0 || (h.failingSince ?? 0) > 0;
  return limited(before) || limited(after);
}
