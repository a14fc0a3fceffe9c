import type { DynamoLocal } from '../../local/dynamodb';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __dynamo?: DynamoLocal }).__dynamo?.stop();
}
