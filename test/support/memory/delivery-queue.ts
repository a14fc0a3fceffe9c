import { MAX_DELAY_SECONDS, newDeliveryId } from '../../../lambdas/domain/delivery';
import { EnqueueFailed, type DeliveryMessage, type DeliveryQueue } from '../../../lambdas/domain/ports';

export interface QueuedDelivery {
  message: DeliveryMessage;
  delaySeconds: number;
}

/**
 * DeliveryQueue in memory, as adapters/sqs/delivery-queue.ts sends: each message gets
 * `attempt` 1 and a `deliveryId` (`msg_…`) when it has none (the adapter mints them, as the
 * deliver use case does for a message that lacks one), the delay is rounded and kept within
 * 0…900 s, and a message travels as JSON (so it comes out a copy). Parked messages are kept
 * with their reason. Fault injection: a message for which `fail` returns an error is not
 * queued; the others are, and enqueue throws EnqueueFailed naming it (as the adapter does).
 */
export class MemoryDeliveryQueue implements DeliveryQueue {
  readonly queued: QueuedDelivery[] = [];
  readonly parked: { message: DeliveryMessage; reason: string }[] = [];
  fail?: (message: DeliveryMessage) => Error | undefined;

  async enqueue(messages: DeliveryMessage[], delaySeconds = 0): Promise<void> {
    const delay = Math.max(0, Math.min(MAX_DELAY_SECONDS, Math.round(delaySeconds)));
    const failed: { message: DeliveryMessage; error: unknown }[] = [];
    for (const m of messages) {
      const error = this.fail?.(m);
      if (error) {
        failed.push({ message: m, error });
        continue;
      }
      const message = JSON.parse(JSON.stringify({ ...m, attempt: m.attempt ?? 1, deliveryId: m.deliveryId ?? newDeliveryId() })) as DeliveryMessage;
      this.queued.push({ message, delaySeconds: delay });
    }
    if (failed.length > 0) throw new EnqueueFailed(failed);
  }

  async park(message: DeliveryMessage, reason: string): Promise<void> {
    this.parked.push({ message: JSON.parse(JSON.stringify(message)) as DeliveryMessage, reason: reason.slice(0, 1000) });
  }

  /** The queued messages, in order. */
  get messages(): DeliveryMessage[] {
    return this.queued.map((q) => q.message);
  }

  /** Takes every queued message out (what a worker would receive next). */
  drain(): QueuedDelivery[] {
    return this.queued.splice(0, this.queued.length);
  }
}
