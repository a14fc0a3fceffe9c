import { randomBytes } from 'node:crypto';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { DynamoScheduleStore } from '../../lambdas/adapters/dynamo/schedule-store';
import { sqsClient } from '../../lambdas/composition';
import { wiring } from '../support/wiring';
import { startLocalScheduler, type LocalScheduler, type NotifyHandler } from '../../local/scheduler';
import { startPoller, type Poller, type SqsHandler } from '../../local/sqs';
import { startTestServer, type TestServer } from './fixtures';

export interface DeliveryHarness {
  sqs: SQSClient;
  server: TestServer;
  queueUrl: string;
  deadLetterUrl: string;
  close(): Promise<void>;
}

/**
 * What `npm start` runs, in the test process, on this file's own SQS queue (so test files
 * running in parallel do not take each other's messages): the HTTP front, the delivery
 * poller calling the deliver handler, and (when asked) the local scheduler calling the notifier.
 * Call it in beforeAll, before anything builds the wiring.
 */
export async function startDeliveryHarness(options: { maxReceiveCount?: number; scheduler?: boolean; server?: Parameters<typeof startTestServer>[0] } = {}): Promise<DeliveryHarness> {
  const saved = { queue: process.env.DELIVERY_QUEUE_URL, dlq: process.env.DELIVERY_DLQ_URL };
  const sqs = sqsClient({ AWS_REGION: 'us-east-1', SQS_ENDPOINT: process.env.SQS_ENDPOINT! });
  const name = `deliveries-${randomBytes(4).toString('hex')}`;
  const deadLetterUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }))).QueueUrl!;
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: deadLetterUrl, AttributeNames: ['QueueArn'] }));
  const redrive = { deadLetterTargetArn: Attributes!.QueueArn, maxReceiveCount: options.maxReceiveCount ?? 2 };
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '5', RedrivePolicy: JSON.stringify(redrive) } }))).QueueUrl!;
  process.env.DELIVERY_QUEUE_URL = queueUrl;
  process.env.DELIVERY_DLQ_URL = deadLetterUrl;

  const server = await startTestServer(options.server);
  const deliver = async () => ((await import('../../lambdas/handlers/deliver')) as unknown as { handler: SqsHandler }).handler;
  const notify = async () => ((await import('../../lambdas/handlers/notify')) as unknown as { handler: NotifyHandler }).handler;
  const poller: Poller = startPoller(sqs, queueUrl, deliver, { concurrency: 4, log: () => undefined });
  // One test file at a time runs the scheduler: schedules live in the shared table.
  const scheduler: LocalScheduler | undefined = !options.scheduler ? undefined : startLocalScheduler(new DynamoScheduleStore(wiring().db, wiring().config.TABLE_DELIVERIES), notify, { intervalMs: 100, log: () => undefined });
  return {
    sqs,
    server,
    queueUrl,
    deadLetterUrl,
    async close() {
      await scheduler?.stop();
      await poller.stop();
      await server.close();
      sqs.destroy();
      process.env.DELIVERY_QUEUE_URL = saved.queue;
      process.env.DELIVERY_DLQ_URL = saved.dlq;
    },
  };
}
