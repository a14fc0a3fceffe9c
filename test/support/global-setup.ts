import { chooseEngine, ensureTables, freePort, startDynamo } from '../../local/dynamodb';
import { startLocalSqs } from '../../local/sqs';
import { LOCAL_TABLES, localEnvironment } from '../../local/stack';
import { sqsClient } from '../../lambdas/composition';
import { NODE_ENGINE_ENDPOINT_VARIABLE, NODE_ENGINE_TTL_SWEEP_MS, TEST_PRODUCER_KEY } from './constants';

/**
 * One DynamoDB engine (in memory) and one SQS emulator for the whole test run. Test files
 * share them and keep apart by using their own random portals (and their own queues when
 * they read SQS). The variables set here reach every test worker.
 *
 * The engine is DynamoDB Local when Java is there (DYNAMODB_ENGINE chooses, as for npm start).
 * A second engine, the Node one (dynalite, in this process), serves the `node-engine` jest
 * project: the client-facing suites run against it too (docs/engines.md).
 */
export default async function globalSetup(): Promise<void> {
  // The SDK warns once per process that its releases after January 2027 need Node 22; the
  // documented switch (aws/aws-sdk-js-v3#7983) keeps it out of the report. Set before the
  // first client, it reaches the workers and every process the tests start.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const { engine } = chooseEngine();
  const dynamo = await startDynamo({ engine, port: await freePort(), ttlSweepMs: NODE_ENGINE_TTL_SWEEP_MS });
  await ensureTables(dynamo.endpoint, LOCAL_TABLES);
  const nodeEngine = engine === 'node' ? dynamo : await startDynamo({ engine: 'node', port: await freePort(), ttlSweepMs: NODE_ENGINE_TTL_SWEEP_MS });
  if (nodeEngine !== dynamo) await ensureTables(nodeEngine.endpoint, LOCAL_TABLES);
  const sqs = await startLocalSqs(await freePort(), (endpoint) => sqsClient({ AWS_REGION: 'us-east-1', SQS_ENDPOINT: endpoint }));
  Object.assign(process.env, localEnvironment(dynamo.endpoint, 'http://127.0.0.1:3000', TEST_PRODUCER_KEY, sqs), {
    TEST_DYNAMODB_ENGINE: engine,
    [NODE_ENGINE_ENDPOINT_VARIABLE]: nodeEngine.endpoint,
  });
  Object.assign(globalThis as object, { __dynamo: dynamo, __nodeEngine: nodeEngine, __sqs: sqs });
}
