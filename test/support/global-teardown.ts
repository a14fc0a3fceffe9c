import type { DynamoLocal } from '../../local/dynamodb';
import type { LocalSqs } from '../../local/sqs';

export default async function globalTeardown(): Promise<void> {
  const shared = globalThis as { __dynamo?: DynamoLocal; __nodeEngine?: DynamoLocal; __sqs?: LocalSqs };
  await shared.__sqs?.stop();
  if (shared.__nodeEngine !== shared.__dynamo) await shared.__nodeEngine?.stop();
  await shared.__dynamo?.stop();
}
