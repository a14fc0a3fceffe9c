import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsDeliveryQueue } from '../adapters/sqs/delivery-queue';
import { traceAwsCalls } from '../adapters/tracing';
import type { Config } from '../config';
import { provideOutbound } from '../wiring';

/** Importing this module hands the wiring the SQS delivery queue (see `Outbound` in wiring.ts). */
export function sqsClient(cfg: Pick<Config, 'AWS_REGION' | 'SQS_ENDPOINT'>): SQSClient {
  return traceAwsCalls(
    new SQSClient({
      region: cfg.AWS_REGION,
      ...(cfg.SQS_ENDPOINT ? { endpoint: cfg.SQS_ENDPOINT, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
    }),
    'SQS',
  );
}

provideOutbound({ deliveryQueue: (cfg) => new SqsDeliveryQueue(sqsClient(cfg), cfg.DELIVERY_QUEUE_URL, cfg.DELIVERY_DLQ_URL) });
