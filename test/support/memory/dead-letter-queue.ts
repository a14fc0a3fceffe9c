import type { DeadLetterQueue, DeliveryMessage, DeliveryQueue, ParkedDelivery } from '../../../lambdas/domain/ports';
import type { MemoryDeliveryQueue } from './delivery-queue';

/**
 * DeadLetterQueue in memory over a MemoryDeliveryQueue's parked list, as
 * adapters/sqs/dead-letter-queue.ts: peek does not consume, redrive sends the chosen
 * deliveries back to the delivery queue with attempt 1 and removes them from the parked list.
 */
export class MemoryDeadLetterQueue implements DeadLetterQueue {
  private readonly ids = new WeakMap<object, { id: string; sentAt: number }>();
  private next = 1;

  constructor(
    private readonly queue: MemoryDeliveryQueue,
    private readonly deliveries: DeliveryQueue = queue,
  ) {}

  private view(p: { message: DeliveryMessage; reason: string }): ParkedDelivery {
    let meta = this.ids.get(p);
    if (!meta) this.ids.set(p, (meta = { id: `dlq-${this.next++}`, sentAt: Date.now() }));
    return { messageId: meta.id, message: p.message, body: JSON.stringify(p.message), reason: p.reason, sentAt: meta.sentAt, receiveCount: 0 };
  }

  async depth(): Promise<number> {
    return this.queue.parked.length;
  }

  async peek(max: number): Promise<ParkedDelivery[]> {
    return this.queue.parked.slice(0, max).map((p) => this.view(p));
  }

  async redrive(ids?: readonly string[]): Promise<string[]> {
    const chosen = this.queue.parked.filter((p) => !ids || ids.includes(this.view(p).messageId));
    if (chosen.length === 0) return [];
    await this.deliveries.enqueue(chosen.map((p) => ({ ...p.message, attempt: 1 })));
    for (const p of chosen) this.queue.parked.splice(this.queue.parked.indexOf(p), 1);
    return chosen.map((p) => this.view(p).messageId);
  }
}
