import { messageIdOf } from '../domain/journal';
import type { DeliveryMessage } from '../domain/ports';
import { journalQueues } from './journal-writes';
import { considerNotifications, type NotificationDeps } from './offline-notification';

/** What the offline record of a push that fell back says about the delivery (EVENT_ADDITIONAL.failed_delivery). */
export interface FailedDelivery {
  deliveryId: string;
  error: string;
  attempts: number;
}

/**
 * Push → pull fallback (docs/delivery.md): a delivery of a binding with `options[fallback]=offline`
 * that finally failed, or whose handler is switched off, is journaled into the binding's offline
 * queue exactly as an offline binding's event would be (merged per object until consumed,
 * announced by ONOFFLINEEVENT); EVENT_ADDITIONAL says which delivery failed and why.
 * Returns whether a record was created (false: merged into a pending one).
 */
export async function fallBack(deps: NotificationDeps, message: DeliveryMessage, failure: FailedDelivery, now: number): Promise<boolean> {
  const queue = { memberId: message.memberId, clientId: message.clientId, connector: message.fallback?.connector ?? '' };
  const write = {
    eventName: message.event,
    eventData: message.data,
    eventAdditional: {
      user_id: String(message.userId),
      failed_delivery: { id: failure.deliveryId, handler: message.handler, error: failure.error.slice(0, 200), attempts: failure.attempts },
    },
    messageId: messageIdOf(message.event, message.data),
  };
  const { created, changes } = await journalQueues(deps.journal, [{ queue, writes: [write], userId: message.userId }], now);
  await considerNotifications(deps, message.memberId, changes, now);
  return created > 0;
}
