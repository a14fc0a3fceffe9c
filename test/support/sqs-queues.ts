import { randomBytes } from 'node:crypto';
import { CreateQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** A fresh queue of the test's own on the SQS emulator (no other file reads or redrives it). */
export async function newTestQueue(sqs: SQSClient): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `test-${randomBytes(6).toString('hex')}` }));
  return QueueUrl!;
}
