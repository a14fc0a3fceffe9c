import type { DeliveryMessage, DeliveryQueue } from '../domain/ports';

/**
 * A delivery queue that only records what it was given. It stands in for the SQS adapter
 * until online delivery exists (issue "Online delivery"); the publish response counts
 * queued deliveries either way.
 */
export class RecordingDeliveryQueue implements DeliveryQueue {
  readonly recorded: DeliveryMessage[] = [];

  constructor(private readonly keep = 1000) {}

  async enqueue(messages: DeliveryMessage[]): Promise<void> {
    this.recorded.push(...messages);
    if (this.recorded.length > this.keep) this.recorded.splice(0, this.recorded.length - this.keep);
  }
}
