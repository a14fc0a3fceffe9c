import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import { chooseEngine, engineDataDir, ensureTables, freePort, otherEngineData, startDynamo, type DynamoEngine, type DynamoLocal } from './dynamodb';
import { createLocalServer } from './server';
import { startLocalSqs, startPoller, type LocalSqs, type SqsHandler } from './sqs';
import { dynamoClient, sqsClient } from '../lambdas/composition';
import { DynamoScheduleStore } from '../lambdas/adapters/dynamo/schedule-store';
import { startLocalScheduler, type NotifyHandler } from './scheduler';

/** Local table names; the deployed stack gets names from CDK. */
export const LOCAL_TABLES = { registry: 'b24-registry', bindings: 'b24-bindings', journal: 'b24-journal', deliveries: 'b24-deliveries' } as const;

export interface RuntimeFile {
  pid: number;
  /** DynamoDB Local's Java process, or `pid` itself for the Node engine (in process). */
  dynamodb_pid: number;
  dynamodb_endpoint: string;
  dynamodb_engine?: DynamoEngine;
  port: number;
  public_url: string;
  /** The SQS emulator and the delivery queue, for the admin CLI's lifecycle events. */
  sqs_endpoint?: string;
  delivery_queue_url?: string;
}

export interface LocalStackOptions {
  port: number;
  dataDir: string;
  producerKey?: string;
  publicUrl?: string;
  /** PEM files: serve HTTPS instead of HTTP. */
  tls?: { certFile: string; keyFile: string };
  /** Keep the engine's data in memory instead of under DATA_DIR (the benchmark). */
  inMemory?: boolean;
  /** The DynamoDB engine (local/dynamodb.ts); default: chooseEngine() (DYNAMODB_ENGINE, else Java or not). */
  engine?: DynamoEngine;
  /** The Node engine's TTL sweep interval (default 5000 ms). */
  ttlSweepMs?: number;
  /** Delivery worker loops (default 4); Lambda's SQS event source scales to more batches at once. */
  workerConcurrency?: number;
  /** Delivery worker loops one portal may hold at once (default: all but one, so another portal's event finds a loop free). */
  workerPerPortal?: number;
  log?: (line: string) => void;
}

export interface LocalStack {
  url: string;
  producerKey: string;
  dynamo: DynamoLocal;
  server: Server;
  stop(): Promise<void>;
}

/** A process that still runs: a killed one waiting to be reaped (a zombie, state Z on Linux) does not count. */
const alive = (pid: number | undefined): boolean => {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state …"; the command may hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS): the signal check stands
  }
};

const loadNotifyHandler = async (): Promise<NotifyHandler> => ((await import('../lambdas/handlers/notify')) as unknown as { handler: NotifyHandler }).handler;
const loadDeliverHandler = async (): Promise<SqsHandler> => ((await import('../lambdas/handlers/deliver')) as unknown as { handler: SqsHandler }).handler;

export const runtimeFilePath = (dataDir: string) => join(dataDir, 'runtime.json');

export function readRuntimeFile(dataDir: string): RuntimeFile | undefined {
  const file = runtimeFilePath(dataDir);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as RuntimeFile;
  } catch {
    return undefined;
  }
}

/** The running local stack that owns `dataDir`, if any. */
export function liveRuntime(dataDir: string): RuntimeFile | undefined {
  const runtime = readRuntimeFile(dataDir);
  return runtime && alive(runtime.pid) && alive(runtime.dynamodb_pid) ? runtime : undefined;
}

/**
 * Refuses a data dir another live stack owns, and stops a DynamoDB Local left behind by a
 * stack that was killed (kill -9 leaves its Java child running on the data files).
 */
export function claimDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true });
  const previous = readRuntimeFile(dataDir);
  if (!previous) return;
  if (alive(previous.pid) && previous.pid !== process.pid) {
    throw new Error(`Another local stack (pid ${previous.pid}) uses DATA_DIR ${dataDir}; stop it or choose another DATA_DIR`);
  }
  // The Node engine ran inside the stack's own process: nothing is left behind.
  const orphan = previous.dynamodb_pid !== previous.pid && previous.dynamodb_pid !== process.pid;
  if (orphan && alive(previous.dynamodb_pid)) process.kill(previous.dynamodb_pid, 'SIGKILL');
  rmSync(runtimeFilePath(dataDir), { force: true });
}

/** The producer key: given, or kept under DATA_DIR (generated on first start). */
export function producerKeyFor(dataDir: string, given?: string): string {
  if (given) return given;
  const file = join(dataDir, 'producer-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = randomBytes(24).toString('hex');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

/** Sets the variables the handlers' config module reads (lambdas/config.ts). */
export function localEnvironment(endpoint: string, publicUrl: string, producerKey: string, sqs: Pick<LocalSqs, 'endpoint' | 'queueUrl' | 'deadLetterUrl'>): Record<string, string> {
  return {
    TABLE_REGISTRY: LOCAL_TABLES.registry,
    TABLE_BINDINGS: LOCAL_TABLES.bindings,
    TABLE_JOURNAL: LOCAL_TABLES.journal,
    TABLE_DELIVERIES: LOCAL_TABLES.deliveries,
    DYNAMODB_ENDPOINT: endpoint,
    SQS_ENDPOINT: sqs.endpoint,
    DELIVERY_QUEUE_URL: sqs.queueUrl,
    DELIVERY_DLQ_URL: sqs.deadLetterUrl,
    AWS_REGION: 'us-east-1',
    PUBLIC_URL: publicUrl,
    PRODUCER_AUTH: 'key',
    PRODUCER_KEY: producerKey,
    SCHEDULER: 'dynamodb',
    // Handlers on this machine are the point of a local stack; HANDLER_ALLOW_PRIVATE=0 tries the guard.
    HANDLER_ALLOW_PRIVATE: process.env.HANDLER_ALLOW_PRIVATE ?? '1',
  };
}

/**
 * Starts the whole local service: DynamoDB Local on disk under DATA_DIR, the tables, and
 * the HTTP front on 127.0.0.1:PORT routing to the Lambda handlers.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? (() => undefined);
  const dataDir = resolve(options.dataDir);
  claimDataDir(dataDir);
  const producerKey = producerKeyFor(dataDir, options.producerKey);
  const scheme = options.tls ? 'https' : 'http';
  const tls = options.tls ? { cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) } : undefined;
  const publicUrl = (options.publicUrl ?? `${scheme}://127.0.0.1:${options.port}`).replace(/\/+$/, '');

  const { engine, reason } = options.engine ? { engine: options.engine, reason: 'chosen by the caller' } : chooseEngine();
  const path = engineDataDir(dataDir, engine);
  const dynamo = await startDynamo({
    engine,
    port: await freePort(),
    ownProcessGroup: true,
    ...(options.inMemory ? {} : { path }),
    ...(options.ttlSweepMs ? { ttlSweepMs: options.ttlSweepMs } : {}),
  });
  let sqs: LocalSqs | undefined;
  try {
    await ensureTables(dynamo.endpoint, LOCAL_TABLES);
    const name = engine === 'local' ? 'DynamoDB Local (Java)' : 'the Node engine (dynalite, in this process)';
    log(`DynamoDB engine: ${name}, ${reason}; on ${dynamo.endpoint} (${options.inMemory ? 'data in memory' : `data in ${path}`})`);
    const other = options.inMemory ? undefined : otherEngineData(dataDir, engine);
    if (other) log(`note: ${other} holds the other engine's data, not used now (DYNAMODB_ENGINE=${engine === 'local' ? 'node' : 'local'} uses it)`);
    const journalFile = options.inMemory ? undefined : join(dataDir, 'sqs', 'journal.jsonl');
    sqs = await startLocalSqs(await freePort(), (endpoint) => sqsClient({ AWS_REGION: 'us-east-1', SQS_ENDPOINT: endpoint }), { ...(journalFile ? { journalFile } : {}), log });
    log(`SQS emulator on ${sqs.endpoint} (delivery queue and DLQ, ${journalFile ? `journal in ${journalFile}; ${sqs.restored} message(s) put back` : 'in memory'})`);
    Object.assign(process.env, localEnvironment(dynamo.endpoint, publicUrl, producerKey, sqs));

    const { config } = await import('../lambdas/config');
    const cfg = config();
    const loops = options.workerConcurrency ?? 4;
    const perGroup = options.workerPerPortal ?? Math.max(1, loops - 1);
    const poller = startPoller(sqsClient(cfg), sqs.queueUrl, loadDeliverHandler, { concurrency: loops, perGroup, log, store: sqs.store });
    log(`delivery worker: ${loops} batches at a time, at most ${perGroup} per portal; handlers on private addresses ${cfg.HANDLER_ALLOW_PRIVATE ? 'allowed' : 'refused'}`);
    const scheduler = startLocalScheduler(new DynamoScheduleStore(dynamoClient(cfg), cfg.TABLE_DELIVERIES), loadNotifyHandler, { intervalMs: 250, log });
    log('scheduler firing ONOFFLINEEVENT trailing notifications (kept in DynamoDB)');
    const server = createLocalServer({ maxBodyBytes: cfg.MAX_BODY_BYTES, publicUrl, ...(tls ? { tls } : {}) });
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(options.port, '127.0.0.1', () => resolveListen());
    });
    const runtime: RuntimeFile = {
      pid: process.pid,
      dynamodb_pid: dynamo.pid,
      dynamodb_endpoint: dynamo.endpoint,
      dynamodb_engine: engine,
      port: options.port,
      public_url: publicUrl,
      sqs_endpoint: sqs.endpoint,
      delivery_queue_url: sqs.queueUrl,
    };
    writeFileSync(runtimeFilePath(dataDir), JSON.stringify(runtime, null, 2));

    return {
      url: `${scheme}://127.0.0.1:${options.port}`,
      producerKey,
      dynamo,
      server,
      async stop() {
        await new Promise<void>((r) => server.close(() => r()));
        server.closeAllConnections();
        await scheduler.stop();
        await poller.stop();
        await sqs?.stop();
        await dynamo.stop();
        rmSync(runtimeFilePath(dataDir), { force: true });
      },
    };
  } catch (error) {
    await sqs?.stop();
    await dynamo.stop();
    throw error;
  }
}
