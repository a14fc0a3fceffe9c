import middy from '@middy/core';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import {
  bindingStore,
  deliveryLog,
  deliveryQueue,
  deliverySettings,
  handlerSender,
  journalStore,
  notificationScheduler,
  notificationThrottle,
  registryStore,
  traceRecord,
} from '../composition';
import { config } from '../config';
import { deliver, type DeliveryDeps } from '../usecases/deliver';
import { deliveryMessage } from '../wire/delivery-message';
import { logger } from '../wire/logger';
import { metrics, recordDelivery, recordFailedRecord, recordSwitchOff } from '../wire/metrics';

/**
 * The delivery worker (docs/delivery.md): an SQS event source with partial batch failure
 * reporting. Each body is checked against the delivery message schema (wire/delivery-message.ts);
 * a record that does not parse fails (SQS delivers it again, then parks it in the DLQ). The records of a
 * batch are delivered in parallel, so a fast handler does not wait for a slow one. A handler's
 * failure is a recorded outcome, not a failed record.
 */
const processor = new BatchProcessor(EventType.SQS);

class MalformedDelivery extends Error {}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

let built: DeliveryDeps | undefined;
const deps = (): DeliveryDeps => {
  if (!built) {
    const cfg = config();
    const [registry, queue] = [registryStore(cfg), deliveryQueue(cfg)];
    built = {
      registry,
      log: deliveryLog(cfg),
      sender: handlerSender(cfg),
      queue,
      settings: deliverySettings(cfg),
      // Push → pull fallback journals and announces as publish does (docs/delivery.md).
      fallback: {
        registry,
        bindings: bindingStore(cfg),
        journal: journalStore(cfg),
        throttle: notificationThrottle(cfg),
        scheduler: notificationScheduler(cfg),
        deliveries: queue,
      },
    };
  }
  return built;
};

async function handle(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  // Portals and installations read once per batch, shared by its records.
  const installations = new Map();
  // Each record's work joins the trace its message carries (publish → SQS → deliver).
  const deliverRecord = (record: SQSRecord): Promise<void> => traceRecord(record.attributes?.AWSTraceHeader, () => deliverOne(record));
  const deliverOne = async (record: SQSRecord): Promise<void> => {
    // Parsed here rather than with Powertools' parser integration: its SQS schemas and
    // JSONStringified import all of zod (`import { z }`), +450 kB in this bundle.
    const parsed = deliveryMessage.safeParse(parseJson(record.body));
    if (!parsed.success) throw new MalformedDelivery(`malformed delivery message ${record.messageId}: ${parsed.error.issues[0]?.message ?? ''}`);
    const delivery = parsed.data;
    const outcome = await deliver(deps(), delivery, Date.now(), installations);
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
    if (outcome.kind === 'failed' && outcome.switchedOff) {
      // The operator's signal: a handler this application will not get POSTs to until it is switched on again.
      logger.warn('handler switched off', { member_id: delivery.memberId, client_id: delivery.clientId, handler: delivery.handler, reason: outcome.switchedOff });
      recordSwitchOff();
    }
  };
  const response = await processPartialResponse(event, deliverRecord, processor, { context, throwOnFullBatchFailure: false });
  // Every record counts as something, so each batch has metrics to publish: failed records
  // are malformed (they never reached deliverRecord) or met a failure of the service itself.
  for (const error of processor.errors) recordFailedRecord(error instanceof MalformedDelivery ? 'malformed' : 'service');
  return response;
}

export const handler = middy(handle).use(injectLambdaContext(logger, { resetKeys: true })).use(logMetrics(metrics));
