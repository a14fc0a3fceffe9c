import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { forEachLimited } from '../../domain/concurrency';
import { MAX_DELAY_SECONDS, newDeliveryId } from '../../domain/delivery';
import { EnqueueFailed, type DeliveryMessage, type DeliveryQueue } from '../../domain/ports';
import { traceHeader } from '../tracing';

/** SQS allows 10 entries per SendMessageBatch. */
const BATCH = 10;
/** SendMessageBatch calls in flight at once (a publish's fan-out is bounded, usecases/publish.ts). */
export const SEND_CONCURRENCY = 16;
/** Receives of one message before SQS parks it in the DLQ (local runtime and CDK stack alike). */
export const MAX_RECEIVE_COUNT = 5;

/**
 * The delivery queue on SQS: one message per (event, online binding), sent 10 per
 * SendMessageBatch. Entries SQS refuses for a transient reason are sent again (3 rounds).
 * A message still refused, or in a batch whose call failed, is not queued: the others are,
 * and enqueue throws EnqueueFailed naming the ones that were not (the publish answer lists
 * them; deliveries are at least once, `webhook-id` lets a handler drop a duplicate).
 */
export class SqsDeliveryQueue implements DeliveryQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly deadLetterUrl: string,
  ) {}

  async enqueue(messages: DeliveryMessage[], delaySeconds = 0): Promise<void> {
    const delay = Math.max(0, Math.min(MAX_DELAY_SECONDS, Math.round(delaySeconds)));
    const batches: DeliveryMessage[][] = [];
    for (let i = 0; i < messages.length; i += BATCH) batches.push(messages.slice(i, i + BATCH));
    const failed: { message: DeliveryMessage; error: unknown }[] = [];
    await forEachLimited(batches, SEND_CONCURRENCY, async (batch) => {
      failed.push(...(await this.sendBatch(batch.map((m) => ({ ...m, attempt: m.attempt ?? 1, deliveryId: m.deliveryId ?? newDeliveryId() })), delay)));
    });
    if (failed.length > 0) throw new EnqueueFailed(failed);
  }

  /** Sends one batch; returns the messages that were not queued. */
  private async sendBatch(batch: DeliveryMessage[], delay: number): Promise<{ message: DeliveryMessage; error: unknown }[]> {
    // The trace of the work that queued the message travels with it (adapters/tracing.ts).
    const trace = traceHeader();
    const traced = trace ? { MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: trace } } } : {};
    // MessageGroupId = the portal: on a standard queue SQS serves the groups fairly (fair
    // queues), so one portal's flood does not hold back another's deliveries (docs/operations.md).
    let entries = batch.map((message, i) => ({ Id: String(i), MessageBody: JSON.stringify(message), MessageGroupId: message.memberId, ...(delay > 0 ? { DelaySeconds: delay } : {}), ...traced }));
    const notQueued = (ids: Iterable<string>, error: unknown) => [...ids].map((id) => ({ message: batch[Number(id)]!, error }));
    for (let round = 0; entries.length > 0; round++) {
      let Failed;
      try {
        ({ Failed = [] } = await this.sqs.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries })));
      } catch (error) {
        return notQueued(entries.map((e) => e.Id), error);
      }
      if (Failed.length === 0) return [];
      const permanent = Failed.filter((f) => f.SenderFault);
      if (permanent.length > 0 || round >= 2) {
        return Failed.map((f) => ({ message: batch[Number(f.Id)]!, error: new Error(`SQS refused the delivery: ${f.Code ?? ''} ${f.Message ?? ''}`.trim()) }));
      }
      const failed = new Set(Failed.map((f) => f.Id));
      entries = entries.filter((e) => failed.has(e.Id));
      await new Promise((r) => setTimeout(r, 50 * 2 ** round));
    }
    return [];
  }

  async park(message: DeliveryMessage, reason: string): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.deadLetterUrl,
        MessageBody: JSON.stringify(message),
        MessageAttributes: { reason: { DataType: 'String', StringValue: reason.slice(0, 1000) } },
      }),
    );
  }
}
