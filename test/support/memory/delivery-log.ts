import { matchesAttempt, newestFirst } from '../../../lambdas/domain/delivery-history';
import { HEALTHY, offKey, type HandlerHealth, type SwitchOff } from '../../../lambdas/domain/handler-health';
import type { AttemptFilter, DeliveryAttempt, DeliveryLog } from '../../../lambdas/domain/ports';

/**
 * DeliveryLog in memory, as adapters/dynamo/delivery-log-repository.ts behaves:
 * - a handler never seen is HEALTHY;
 * - `putHealth` keeps the handler's switch-offs; `switchOn` removes the application's one and
 *   resets failures, failingSince and nextAt (true when it was off);
 * - `reserveTurn` sets `nextAt` to `until` only when it is absent or not after `now` (a
 *   conditional update), creating the row if needed: of parallel callers one gets `true`;
 * - attempts list newest first (by `at`, then delivery id and attempt descending, as the
 *   adapter's merge of its shards has it), at most `limit`, narrowed by the filter;
 * - `findDelivery` is the newest attempt of that delivery id of that application.
 * Retention (TTL) is not modelled.
 */
export class MemoryDeliveryLog implements DeliveryLog {
  readonly health = new Map<string, HandlerHealth>();
  readonly off = new Map<string, Map<string, SwitchOff>>();
  readonly attempts: DeliveryAttempt[] = [];

  async getHealth(handler: string): Promise<HandlerHealth> {
    const stored = this.health.get(handler);
    const off = this.off.get(handler);
    const health: HandlerHealth = { ...(stored ?? HEALTHY) };
    delete health.off;
    return { ...health, ...(off && off.size > 0 ? { off: Object.fromEntries([...off].map(([k, v]) => [k, { ...v }])) } : {}) };
  }

  async putHealth(handler: string, health: HandlerHealth, _now: number): Promise<void> {
    const rest = { ...health };
    delete rest.off;
    this.health.set(handler, rest);
  }

  async reserveTurn(handler: string, now: number, until: number): Promise<boolean> {
    const stored = this.health.get(handler);
    if (stored && stored.nextAt > now) return false;
    this.health.set(handler, { ...(stored ?? HEALTHY), nextAt: until });
    return true;
  }

  async switchOff(handler: string, memberId: string, clientId: string, state: SwitchOff): Promise<void> {
    const off = this.off.get(handler) ?? new Map<string, SwitchOff>();
    off.set(offKey(memberId, clientId), { at: state.at, reason: state.reason.slice(0, 500) });
    this.off.set(handler, off);
  }

  async switchOn(handler: string, memberId: string, clientId: string, _now: number): Promise<boolean> {
    const was = this.off.get(handler)?.delete(offKey(memberId, clientId)) ?? false;
    const stored = this.health.get(handler) ?? HEALTHY;
    this.health.set(handler, { latencyMs: stored.latencyMs, failures: 0, nextAt: 0 });
    return was;
  }

  async recordAttempt(attempt: DeliveryAttempt): Promise<void> {
    this.attempts.push(JSON.parse(JSON.stringify(attempt)) as DeliveryAttempt);
  }

  async listAttempts(memberId: string, clientId: string, limit: number, filter: AttemptFilter = {}): Promise<DeliveryAttempt[]> {
    return this.of(memberId, clientId, filter).slice(0, limit);
  }

  async countAttempts(memberId: string, clientId: string, filter: AttemptFilter = {}): Promise<number> {
    return this.of(memberId, clientId, filter).length;
  }

  async findDelivery(memberId: string, clientId: string, deliveryId: string): Promise<DeliveryAttempt | undefined> {
    return this.of(memberId, clientId, {}).find((a) => a.deliveryId === deliveryId);
  }

  private of(memberId: string, clientId: string, filter: AttemptFilter): DeliveryAttempt[] {
    return this.attempts
      .filter((a) => a.memberId === memberId && a.clientId === clientId && matchesAttempt(a, filter))
      .sort(newestFirst)
      .map((a) => JSON.parse(JSON.stringify(a)) as DeliveryAttempt);
  }
}
