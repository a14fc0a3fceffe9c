import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { ConditionalCheckFailedException, DeleteItemCommand, DescribeTableCommand, ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * The Node engine: `dynalite` (the DynamoDB API on LevelDB, pure npm: its LevelDB binding
 * ships prebuilt in the registry tarball) run inside this process, with the three things the
 * service relies on that dynalite lacks (docs/engines.md):
 *  - `ReturnValuesOnConditionCheckFailure: ALL_OLD`: the item that failed the condition comes
 *    back on ConditionalCheckFailedException, read under dynalite's per-item lock as DynamoDB does;
 *  - `UpdateTimeToLive` / `DescribeTimeToLive`: answered here, the setting kept in `ttl.json`;
 *  - TTL expiry: a sweeper deletes items whose TTL attribute is past, as DynamoDB's TTL would.
 */

type Item = Record<string, AttributeValue>;
interface DynaliteDb {
  checkConditional(data: Record<string, unknown>, existing: Item | undefined): (Error & { body?: Record<string, unknown> }) | null | undefined;
}

const load = createRequire(__filename);
const dynalite = load('dynalite') as (options: Record<string, unknown>) => Server;
const dynaliteDb = load('dynalite/db') as DynaliteDb;

let patched = false;
/** Teaches dynalite `ReturnValuesOnConditionCheckFailure` (its validation drops unknown parameters). */
function patchConditionCheckFailure(): void {
  if (patched) return;
  patched = true;
  for (const action of ['putItem', 'updateItem', 'deleteItem']) {
    const validation = load(`dynalite/validations/${action}`) as { types: Record<string, unknown> };
    validation.types.ReturnValuesOnConditionCheckFailure = { type: 'String', enum: ['ALL_OLD', 'NONE'] };
  }
  const check = dynaliteDb.checkConditional.bind(dynaliteDb);
  // dynalite calls db.checkConditional(data, item) with the item read under the item's lock.
  dynaliteDb.checkConditional = (data, existing) => {
    const failed = check(data, existing);
    if (failed?.body && existing && data.ReturnValuesOnConditionCheckFailure === 'ALL_OLD') failed.body.Item = existing;
    return failed;
  };
}

export interface TtlSetting {
  attribute: string;
}

export interface NodeEngine {
  server: Server;
  /** Tables with TTL on and their attribute (UpdateTimeToLive calls so far). */
  ttl: Map<string, TtlSetting>;
  close(): Promise<void>;
}

const sendJson = (res: ServerResponse, status: number, body: unknown) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};
const validation = (message: string) => ({ __type: 'com.amazon.coral.validate#ValidationException', message });
const notFound = (table: string) => ({ __type: 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException', message: `Requested resource not found: Table: ${table} not found` });

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });

/**
 * Starts dynalite on 127.0.0.1:`port`, on disk under `path` (LevelDB) or in memory.
 * `tableExists` answers whether a table exists (the TTL calls need it; dynalite's store is private).
 */
export async function startNodeEngine(options: { port: number; path?: string; tableExists: (table: string) => Promise<boolean> }): Promise<NodeEngine> {
  patchConditionCheckFailure();
  if (options.path) mkdirSync(options.path, { recursive: true });
  // Tables are ACTIVE at once, as in DynamoDB Local (dynalite's default keeps them CREATING 500 ms).
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(options.path ? { path: join(options.path, 'leveldb') } : {}) });

  const ttlFile = options.path ? join(options.path, 'ttl.json') : undefined;
  const ttl = new Map<string, TtlSetting>(ttlFile && existsSync(ttlFile) ? Object.entries(JSON.parse(readFileSync(ttlFile, 'utf8')) as Record<string, TtlSetting>) : []);
  const saveTtl = () => ttlFile && writeFileSync(ttlFile, JSON.stringify(Object.fromEntries(ttl), null, 2));

  const [dynaliteHandler] = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (target !== 'DynamoDB_20120810.UpdateTimeToLive' && target !== 'DynamoDB_20120810.DescribeTimeToLive') return dynaliteHandler!(req, res);
    void (async () => {
      const input = JSON.parse((await readBody(req)) || '{}') as { TableName?: string; TimeToLiveSpecification?: { AttributeName?: string; Enabled?: boolean } };
      const table = input.TableName ?? '';
      if (!(await options.tableExists(table))) return sendJson(res, 400, notFound(table));
      const current = ttl.get(table);
      if (target.endsWith('DescribeTimeToLive')) {
        return sendJson(res, 200, { TimeToLiveDescription: current ? { TimeToLiveStatus: 'ENABLED', AttributeName: current.attribute } : { TimeToLiveStatus: 'DISABLED' } });
      }
      const spec = input.TimeToLiveSpecification;
      if (!spec?.AttributeName || typeof spec.Enabled !== 'boolean') return sendJson(res, 400, validation('TimeToLiveSpecification needs AttributeName and Enabled'));
      if (spec.Enabled && current) return sendJson(res, 400, validation('TimeToLive is already enabled'));
      if (!spec.Enabled && !current) return sendJson(res, 400, validation('TimeToLive is already disabled'));
      if (spec.Enabled) ttl.set(table, { attribute: spec.AttributeName });
      else ttl.delete(table);
      saveTtl();
      return sendJson(res, 200, { TimeToLiveSpecification: { AttributeName: spec.AttributeName, Enabled: spec.Enabled } });
    })().catch((error: unknown) => sendJson(res, 500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: String(error) }));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  return {
    server,
    ttl,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** DynamoDB's TTL leaves alone items whose expiry is more than five years in the past. */
const FIVE_YEARS_S = 5 * 365 * 24 * 3600;

/**
 * One pass of TTL expiry: deletes every item of a TTL-enabled table whose TTL attribute
 * (a number, unix seconds) is before `nowSeconds` (and not more than five years before, as on
 * AWS). Each delete is conditional on the item still being expired: an item rewritten with a
 * new expiry meanwhile stays. Returns the number of items deleted.
 */
export async function sweepExpired(client: DynamoDBClient, ttl: ReadonlyMap<string, TtlSetting>, nowSeconds: number): Promise<number> {
  let deleted = 0;
  for (const [TableName, { attribute }] of ttl) {
    const described = await client.send(new DescribeTableCommand({ TableName })).catch(() => undefined);
    const keys = (described?.Table?.KeySchema ?? []).map((k) => k.AttributeName!);
    if (keys.length === 0) continue;
    const names: Record<string, string> = { '#ttl': attribute };
    keys.forEach((key, i) => (names[`#k${i}`] = key));
    let start: Item | undefined;
    do {
      const page = await client.send(
        new ScanCommand({
          TableName,
          FilterExpression: '#ttl < :now AND #ttl > :floor',
          ProjectionExpression: keys.map((_, i) => `#k${i}`).join(', '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':now': { N: String(nowSeconds) }, ':floor': { N: String(nowSeconds - FIVE_YEARS_S) } },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const Key of page.Items ?? []) {
        try {
          await client.send(
            new DeleteItemCommand({
              TableName,
              Key,
              ConditionExpression: '#ttl < :now',
              ExpressionAttributeNames: { '#ttl': attribute },
              ExpressionAttributeValues: { ':now': { N: String(nowSeconds) } },
            }),
          );
          deleted++;
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        }
      }
      start = page.LastEvaluatedKey;
    } while (start);
  }
  return deleted;
}
