import { EventCatalog } from '../../../lambdas/domain/catalog';
import type { RateLimitSettings } from '../../../lambdas/domain/rate-limit';
import { MemoryBindingStore } from './binding-store';
import { ManualClock } from './clock';
import { MemoryDeliveryLog } from './delivery-log';
import { MemoryDeliveryQueue } from './delivery-queue';
import { MemoryHandlerSender } from './handler-sender';
import { MemoryJournalStore } from './journal-store';
import { MemoryNotificationScheduler } from './notification-scheduler';
import { MemoryNotificationThrottle } from './notification-throttle';
import { MemoryPublishLedger } from './publish-ledger';
import { MemoryRateLimiter } from './rate-limiter';
import { MemoryRegistryStore } from './registry-store';

export { ManualClock, systemClock, type Clock } from './clock';
export { MemoryBindingStore } from './binding-store';
export { MemoryDeliveryLog } from './delivery-log';
export { MemoryDeadLetterQueue } from './dead-letter-queue';
export { MemoryDeliveryQueue, type QueuedDelivery } from './delivery-queue';
export { MemoryHandlerSender, type Answer, type SentRequest } from './handler-sender';
export { MemoryJournalStore } from './journal-store';
export { MemoryNotificationScheduler, type Schedule } from './notification-scheduler';
export { MemoryNotificationThrottle } from './notification-throttle';
export { MemoryPublishLedger } from './publish-ledger';
export { MemorySlotLeaser, type SlotTable } from './slot-leaser';
export { MemoryRateLimiter } from './rate-limiter';
export { MemoryRegistryStore } from './registry-store';

/** Every port in memory, sharing one manual clock: what a use-case test passes as deps. */
export interface MemoryPorts {
  clock: ManualClock;
  registry: MemoryRegistryStore;
  bindings: MemoryBindingStore;
  journal: MemoryJournalStore;
  deliveries: MemoryDeliveryQueue;
  sender: MemoryHandlerSender;
  log: MemoryDeliveryLog;
  rateLimiter: MemoryRateLimiter;
  throttle: MemoryNotificationThrottle;
  scheduler: MemoryNotificationScheduler;
  ledger: MemoryPublishLedger;
  catalog: EventCatalog;
}

/** A fixed instant to start tests from (2026-03-01T09:00:00Z), after the journal-ID epoch. */
export const T0 = Date.UTC(2026, 2, 1, 9, 0, 0);

export function memoryPorts(options: { start?: number; claimLifetimeMs?: number; rateLimit?: RateLimitSettings } = {}): MemoryPorts {
  const clock = new ManualClock(options.start ?? T0);
  return {
    clock,
    registry: new MemoryRegistryStore(),
    bindings: new MemoryBindingStore(),
    journal: new MemoryJournalStore({ clock: clock.now, ...(options.claimLifetimeMs !== undefined ? { claimLifetimeMs: options.claimLifetimeMs } : {}) }),
    deliveries: new MemoryDeliveryQueue(),
    sender: new MemoryHandlerSender(),
    log: new MemoryDeliveryLog(),
    rateLimiter: new MemoryRateLimiter(options.rateLimit ?? { perSecond: 2, burst: 50 }),
    throttle: new MemoryNotificationThrottle(),
    scheduler: new MemoryNotificationScheduler(),
    ledger: new MemoryPublishLedger(),
    catalog: EventCatalog.withExtension(),
  };
}
