import { HEALTHY, type HandlerHealth } from '../../../lambdas/domain/handler-health';
import type { DeliveryAttempt, DeliveryLog } from '../../../lambdas/domain/ports';

/**
 * DeliveryLog in memory, as adapters/dynamo/delivery-log-repository.ts behaves:
 * - a handler never seen is HEALTHY;
 * - `reserveTurn` sets `nextAt` to `until` only when it is absent or not after `now` (a
 *   conditional update), creating the row if needed: of parallel callers one gets `true`;
 * - attempts list newest first (by `at`; ties by binding id, as the sort key has it), at most `limit`.
 * Retention (TTL) is not modelled.
 */
export class MemoryDeliveryLog implements DeliveryLog {
  readonly health = new Map<string, HandlerHealth>();
  readonly attempts: DeliveryAttempt[] = [];

  async getHealth(handler: string): Promise<HandlerHealth> {
    const stored = this.health.get(handler);
    return stored ? { ...stored } : HEALTHY;
  }

  async putHealth(handler: string, health: HandlerHealth, _now: number): Promise<void> {
    this.health.set(handler, { ...health });
  }

  async reserveTurn(handler: string, now: number, until: number): Promise<boolean> {
    const stored = this.health.get(handler);
    if (stored && stored.nextAt > now) return false;
    this.health.set(handler, { ...(stored ?? HEALTHY), nextAt: until });
    return true;
  }

  async recordAttempt(attempt: DeliveryAttempt): Promise<void> {
    this.attempts.push({ ...attempt });
  }

  async recordAttempts(attempts: readonly DeliveryAttempt[]): Promise<void> {
    for (const attempt of attempts) this.attempts.push({ ...attempt });
  }

  async listAttempts(memberId: string, clientId: string, limit: number): Promise<DeliveryAttempt[]> {
    return this.attempts
      .filter((a) => a.memberId === memberId && a.clientId === clientId)
      .sort((a, b) => b.at - a.at || (String(b.bindingId) < String(a.bindingId) ? -1 : String(b.bindingId) > String(a.bindingId) ? 1 : 0))
      .slice(0, limit)
      .map((a) => ({ ...a }));
  }
}
