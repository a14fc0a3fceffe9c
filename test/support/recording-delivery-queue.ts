import type { DeliveryMessage, DeliveryQueue } from '../../lambdas/domain/ports';

/**
 * A delivery queue that only records what it was given: for use-case tests that look at
 * what publish queues. The SQS adapter itself is tested against the SQS emulator.
 */
export class RecordingDeliveryQueue implements DeliveryQueue {
  readonly recorded: DeliveryMessage[] = [];
  readonly parked: { message: DeliveryMessage; reason: string }[] = [];

  async enqueue(messages: DeliveryMessage[]): Promise<void> {
    this.recorded.push(...messages);
  }

  async park(message: DeliveryMessage, reason: string): Promise<void> {
    this.parked.push({ message, reason });
  }
}
