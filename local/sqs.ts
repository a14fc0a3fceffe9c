import type { Server } from 'node:http';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { lambdaContext } from './server';
import { MAX_RECEIVE_COUNT } from '../lambdas/adapters/sqs/delivery-queue';
import { createSqsServer } from 'local-aws-sqs';

export interface LocalSqs {
  endpoint: string;
  queueUrl: string;
  deadLetterUrl: string;
  stop(): Promise<void>;
}


/**
 * The SQS emulator (local-aws-sqs, in this process, in memory) with the delivery queue and
 * its dead-letter queue, set up as the CDK stack sets them up.
 */
export async function startLocalSqs(port: number, client: (endpoint: string) => SQSClient): Promise<LocalSqs> {
  const server: Server = await createSqsServer({ port, hostname: '127.0.0.1' });
  const endpoint = `http://127.0.0.1:${port}`;
  const sqs = client(endpoint);
  try {
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: 'b24-deliveries-dlq', Attributes: { MessageRetentionPeriod: String(14 * 24 * 3600) } }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl!, AttributeNames: ['QueueArn'] }));
    const queue = await sqs.send(
      new CreateQueueCommand({
        QueueName: 'b24-deliveries',
        Attributes: {
          VisibilityTimeout: '60',
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes!.QueueArn, maxReceiveCount: MAX_RECEIVE_COUNT }),
        },
      }),
    );
    return {
      endpoint,
      queueUrl: queue.QueueUrl!,
      deadLetterUrl: dlq.QueueUrl!,
      stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  } finally {
    sqs.destroy();
  }
}

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export interface Poller {
  stop(): Promise<void>;
}

/**
 * What Lambda's SQS event source mapping does, locally: `concurrency` loops long-poll the
 * queue for batches of up to 10, invoke the handler with a real SQS event, and delete the
 * records the handler did not report as failed. Failed records come back after the
 * visibility timeout, and go to the DLQ after MAX_RECEIVE_COUNT receives.
 */
export function startPoller(sqs: SQSClient, queueUrl: string, handler: () => Promise<SqsHandler>, options: { concurrency: number; log: (line: string) => void }): Poller {
  let running = true;
  const abort = new AbortController();
  const loop = async (): Promise<void> => {
    while (running) {
      let messages: Message[] = [];
      try {
        const received = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'] }),
          { abortSignal: abort.signal },
        );
        messages = received.Messages ?? [];
        if (messages.length === 0) continue;
        const result = await (await handler())(toSqsEvent(messages, queueUrl), lambdaContext('deliver'));
        const failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
        const done = messages.filter((m) => !failed.has(m.MessageId!));
        if (done.length > 0) {
          await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
        }
      } catch (error) {
        if (!running) return;
        options.log(`delivery poller: ${(error as Error).message}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };
  const loops = Array.from({ length: options.concurrency }, () => loop());
  return {
    async stop() {
      running = false;
      abort.abort();
      await Promise.allSettled(loops);
    },
  };
}

function toSqsEvent(messages: Message[], queueUrl: string): SQSEvent {
  const [, , , , account = '000000000000', name = 'queue'] = queueUrl.split('/');
  return {
    Records: messages.map((m) => ({
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body ?? '',
      attributes: {
        ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
        SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
        SenderId: m.Attributes?.SenderId ?? 'local',
        ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: m.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:us-east-1:${account}:${name}`,
      awsRegion: 'us-east-1',
    })),
  };
}
