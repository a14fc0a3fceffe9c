import { ChangeMessageVisibilityBatchCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeadLetterQueue, DeliveryMessage, DeliveryQueue, ParkedDelivery } from '../../domain/ports';

/** Seconds a message being redriven stays hidden from other readers. */
const REDRIVE_VISIBILITY = 30;
/** Receive rounds of one redrive call (10 messages each): a console click moves at most 500. */
const MAX_ROUNDS = 50;

function parked(m: Message): ParkedDelivery {
  const body = m.Body ?? '';
  let message: DeliveryMessage | undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object' && typeof (parsed as DeliveryMessage).memberId === 'string') message = parsed as DeliveryMessage;
  } catch {
    // shown raw
  }
  const reason = m.MessageAttributes?.reason?.StringValue;
  return {
    messageId: m.MessageId ?? '',
    body,
    ...(message ? { message } : {}),
    ...(reason ? { reason } : {}),
    sentAt: Number(m.Attributes?.SentTimestamp ?? 0),
    receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 0),
  };
}

/**
 * The deliveries dead-letter queue on SQS. Peek receives with VisibilityTimeout 0 (the messages
 * stay visible); redrive receives, sends the chosen deliveries to the delivery queue with
 * attempt 1, deletes them, and makes the others visible again at once.
 */
export class SqsDeadLetterQueue implements DeadLetterQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly deliveries: DeliveryQueue,
  ) {}

  async depth(): Promise<number> {
    const { Attributes = {} } = await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: this.queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    return Number(Attributes.ApproximateNumberOfMessages ?? 0);
  }

  private receive(max: number, visibility: number): Promise<Message[]> {
    return this.sqs
      .send(new ReceiveMessageCommand({ QueueUrl: this.queueUrl, MaxNumberOfMessages: Math.min(10, max), VisibilityTimeout: visibility, WaitTimeSeconds: 0, MessageAttributeNames: ['All'], AttributeNames: ['All'] }))
      .then((r) => r.Messages ?? []);
  }

  async peek(max: number): Promise<ParkedDelivery[]> {
    const seen = new Map<string, ParkedDelivery>();
    // A receive returns a sample; a few rounds gather up to `max` distinct messages.
    for (let round = 0; round < 5 && seen.size < max; round++) {
      const got = await this.receive(max - seen.size, 0);
      if (got.length === 0) break;
      for (const m of got) if (m.MessageId && !seen.has(m.MessageId)) seen.set(m.MessageId, parked(m));
    }
    return [...seen.values()].slice(0, max);
  }

  async redrive(ids?: readonly string[]): Promise<string[]> {
    const wanted = ids ? new Set(ids) : undefined;
    const moved: string[] = [];
    const skipped: Message[] = [];
    for (let round = 0; round < MAX_ROUNDS; round++) {
      if (wanted && moved.length === wanted.size) break;
      const got = await this.receive(10, REDRIVE_VISIBILITY);
      if (got.length === 0) break;
      const chosen = got.filter((m) => !wanted || wanted.has(m.MessageId ?? ''));
      skipped.push(...got.filter((m) => !chosen.includes(m)));
      const deliveries = chosen.map(parked).filter((p) => p.message);
      // Not a delivery (cannot be sent): left in place.
      skipped.push(...chosen.filter((m) => !deliveries.some((d) => d.messageId === m.MessageId)));
      if (deliveries.length === 0) continue;
      await this.deliveries.enqueue(deliveries.map((d) => ({ ...d.message!, attempt: 1 })));
      await this.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: chosen.filter((m) => deliveries.some((d) => d.messageId === m.MessageId)).map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
      moved.push(...deliveries.map((d) => d.messageId));
    }
    for (let i = 0; i < skipped.length; i += 10) {
      await this.sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: this.queueUrl, Entries: skipped.slice(i, i + 10).map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 })) }));
    }
    return moved;
  }
}
