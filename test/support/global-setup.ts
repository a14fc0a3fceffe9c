import { ensureTables, freePort, startDynamoLocal } from '../../local/dynamodb';
import { LOCAL_TABLES, localEnvironment } from '../../local/stack';
import { TEST_PRODUCER_KEY } from './constants';

/**
 * One DynamoDB Local (in memory) for the whole test run. Test files share it and keep apart
 * by using their own random portals. The variables set here reach every test worker.
 */
export default async function globalSetup(): Promise<void> {
  const dynamo = await startDynamoLocal({ port: await freePort() });
  await ensureTables(dynamo.endpoint, LOCAL_TABLES);
  Object.assign(process.env, localEnvironment(dynamo.endpoint, 'http://127.0.0.1:3000', TEST_PRODUCER_KEY));
  (globalThis as { __dynamo?: typeof dynamo }).__dynamo = dynamo;
}
