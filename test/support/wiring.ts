import * as compose from '../../lambdas/composition';
import { config } from '../../lambdas/config';

/**
 * Every port of the running configuration, built with the functions' own factories
 * (lambdas/composition.ts): for tests that arrange data or read what a call stored.
 */
export function wiring() {
  const cfg = config();
  return {
    config: cfg,
    db: compose.dynamoClient(cfg),
    registry: compose.registryStore(cfg),
    bindings: compose.bindingStore(cfg),
    journal: compose.journalStore(cfg),
    deliveryLog: compose.deliveryLog(cfg),
    throttle: compose.notificationThrottle(cfg),
    rateLimiter: compose.rateLimiter(cfg),
    get deliveries() {
      return compose.deliveryQueue(cfg);
    },
    get scheduler() {
      return compose.notificationScheduler(cfg);
    },
    get sender() {
      return compose.handlerSender(cfg);
    },
    deliverySettings: compose.deliverySettings(cfg),
    catalog: compose.eventCatalog(cfg),
  };
}
