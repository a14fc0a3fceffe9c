import middy from '@middy/core';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { withTraceHeader } from '../adapters/tracing';
import type { DeliveryMessage } from '../domain/ports';
import { deliver } from '../usecases/deliver';
import { logger } from '../wire/logger';
import { metrics, recordDelivery } from '../wire/metrics';
import { wiring } from '../wiring';
// The outbound adapters this function uses (see Outbound in wiring.ts).
import '../outbound/queue';
import '../outbound/sender';

/** A queued delivery, as publish writes it; anything else is poison and goes to the DLQ. */
const message = z.object({
  memberId: z.string().min(1),
  clientId: z.string().min(1),
  bindingId: z.number().int().nonnegative(),
  event: z.string().min(1),
  handler: z.string().min(1),
  userId: z.number().int().nonnegative(),
  data: z.unknown(),
  ts: z.number().int(),
  format: z.enum(['form', 'json']).optional(),
  attempt: z.number().int().positive().optional(),
  deliveryId: z.string().min(1).optional(),
  uninstalled: z.object({ domain: z.string(), applicationToken: z.string(), status: z.string(), signingSecret: z.string() }).optional(),
});

const processor = new BatchProcessor(EventType.SQS);

/**
 * The delivery worker (SPEC §6): an SQS event source with partial batch failure reporting.
 * The records of a batch are delivered in parallel, so a fast handler does not wait for a
 * slow one. A record fails (and SQS delivers it again, then parks it in the DLQ) only when it
 * is malformed or the service itself failed; a handler's failure is a recorded outcome.
 */
async function handle(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const deps = wiring();
  const installations = new Map();
  // Each record's work joins the trace its message carries (publish → SQS → deliver).
  const deliverRecord = (record: SQSRecord): Promise<void> => withTraceHeader(record.attributes?.AWSTraceHeader, () => deliverOne(record));
  const deliverOne = async (record: SQSRecord): Promise<void> => {
    const parsed = message.safeParse(JSON.parse(record.body));
    if (!parsed.success) throw new Error(`malformed delivery message ${record.messageId}: ${parsed.error.issues[0]?.message ?? ''}`);
    const delivery = parsed.data as DeliveryMessage;
    const outcome = await deliver(
      { registry: deps.registry, log: deps.deliveryLog, sender: deps.sender, queue: deps.deliveries, settings: deps.deliverySettings },
      delivery,
      Date.now(),
      installations,
    );
    // Never the payload or tokens: only what identifies the delivery and how it went.
    logger.info('delivery', {
      member_id: delivery.memberId,
      client_id: delivery.clientId,
      binding_id: delivery.bindingId,
      event: delivery.event,
      attempt: delivery.attempt ?? 1,
      outcome,
    });
    recordDelivery(outcome);
  };
  try {
    return await processPartialResponse(event, deliverRecord, processor, { context, throwOnFullBatchFailure: false });
  } finally {
    // Only poison records in the batch: nothing to publish (and no warning about it).
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
}

export const handler = middy(handle).use(injectLambdaContext(logger, { resetKeys: true }));
