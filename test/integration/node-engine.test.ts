import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConditionalCheckFailedException,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { chooseEngine, engineDataDir, ensureTables, freePort, localClient, otherEngineData, startDynamo } from '../../local/dynamodb';
import { LOCAL_TABLES } from '../../local/stack';
import { documentClient } from '../../lambdas/adapters/dynamo/client';
import { RegistryRepository } from '../../lambdas/adapters/dynamo/registry-repository';
import { NotificationThrottleRepository } from '../../lambdas/adapters/dynamo/notification-throttle-repository';
import { NODE_ENGINE_ENDPOINT_VARIABLE, NODE_ENGINE_TTL_SWEEP_MS } from '../support/constants';

const nodeEndpoint = process.env[NODE_ENGINE_ENDPOINT_VARIABLE]!;
/** The test run's engines: the default one (DynamoDB Local when Java is there) and the Node one. */
const engines = [
  ['default', process.env.DYNAMODB_ENDPOINT!],
  ['node', nodeEndpoint],
] as const;
const nowSeconds = () => Math.floor(Date.now() / 1000);
const waitFor = async (check: () => Promise<boolean>, ms: number) => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
};

describe('choosing the engine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'b24-engine-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes DYNAMODB_ENGINE, else DynamoDB Local when java is on PATH, else the Node engine', () => {
    const withJava = join(dir, 'with-java');
    mkdirSync(withJava);
    writeFileSync(join(withJava, 'java'), '#!/bin/sh\n');
    chmodSync(join(withJava, 'java'), 0o755);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expect(chooseEngine({ PATH: `${empty}:${withJava}` })).toEqual({ engine: 'local', reason: 'java found on PATH' });
    expect(chooseEngine({ PATH: empty })).toEqual({ engine: 'node', reason: 'java not found on PATH' });
    expect(chooseEngine({ PATH: withJava, DYNAMODB_ENGINE: 'node' }).engine).toBe('node');
    expect(chooseEngine({ PATH: empty, DYNAMODB_ENGINE: 'local' }).engine).toBe('local');
    expect(() => chooseEngine({ PATH: empty, DYNAMODB_ENGINE: 'dynalite' })).toThrow('DYNAMODB_ENGINE must be local (DynamoDB Local, needs Java) or node (dynalite), got dynalite');
  });

  it('gives each engine its own data directory and points at the other one when it holds data', () => {
    expect(engineDataDir('/d', 'local')).toBe('/d/dynamodb');
    expect(engineDataDir('/d', 'node')).toBe('/d/dynalite');
    expect(otherEngineData(dir, 'node')).toBeUndefined();
    mkdirSync(join(dir, 'dynamodb'));
    writeFileSync(join(dir, 'dynamodb', 'shared-local-instance.db'), '');
    expect(otherEngineData(dir, 'node')).toBe(join(dir, 'dynamodb'));
    expect(otherEngineData(dir, 'local')).toBeUndefined();
  });
});

describe.each(engines)('the DynamoDB features the service relies on (%s engine)', (_name, endpoint) => {
  const client = localClient(endpoint);
  afterAll(() => client.destroy());
  const TableName = LOCAL_TABLES.deliveries;

  it('returns the item that failed the condition (ReturnValuesOnConditionCheckFailure: ALL_OLD), and none when there was no item', async () => {
    const Key = { pk: { S: `engine#${randomBytes(8).toString('hex')}` }, sk: { S: 'x' } };
    await client.send(new PutItemCommand({ TableName, Item: { ...Key, v: { N: '2' }, note: { S: 'kept' } } }));
    const update = (key: typeof Key) =>
      client.send(
        new UpdateItemCommand({
          TableName,
          Key: key,
          UpdateExpression: 'SET v = :v',
          ConditionExpression: 'attribute_not_exists(v) OR v < :v',
          ExpressionAttributeValues: { ':v': { N: '1' } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    const failed = await update(Key).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(ConditionalCheckFailedException);
    expect((failed as ConditionalCheckFailedException).Item).toEqual({ ...Key, v: { N: '2' }, note: { S: 'kept' } });
    // Without the parameter, no item comes back.
    const plain = await client
      .send(new UpdateItemCommand({ TableName, Key, UpdateExpression: 'SET v = :v', ConditionExpression: 'v < :v', ExpressionAttributeValues: { ':v': { N: '1' } } }))
      .catch((error: unknown) => error);
    expect(plain).toBeInstanceOf(ConditionalCheckFailedException);
    expect((plain as ConditionalCheckFailedException).Item).toBeUndefined();
    // No item: nothing to return.
    const absent = await client
      .send(
        new UpdateItemCommand({
          TableName,
          Key: { ...Key, sk: { S: 'absent' } },
          UpdateExpression: 'SET v = :v',
          ConditionExpression: 'attribute_exists(v)',
          ExpressionAttributeValues: { ':v': { N: '1' } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      )
      .catch((error: unknown) => error);
    expect(absent).toBeInstanceOf(ConditionalCheckFailedException);
    expect((absent as ConditionalCheckFailedException).Item).toBeUndefined();
  });

  it('has TTL on for the tables that expire items, and refuses to turn it on twice', async () => {
    for (const table of [LOCAL_TABLES.registry, LOCAL_TABLES.journal, LOCAL_TABLES.deliveries]) {
      const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: table }));
      expect(TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' });
    }
    const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: LOCAL_TABLES.bindings }));
    expect(TimeToLiveDescription?.TimeToLiveStatus).toBe('DISABLED');
    await expect(client.send(new UpdateTimeToLiveCommand({ TableName, TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true } }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    await expect(client.send(new DescribeTimeToLiveCommand({ TableName: 'no-such-table' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});

describe('TTL expiry on the Node engine', () => {
  const db = documentClient({ region: 'us-east-1', endpoint: nodeEndpoint });
  const raw = localClient(nodeEndpoint);
  afterAll(() => {
    db.destroy();
    raw.destroy();
  });

  it("deletes what DynamoDB's TTL would: expired credentials and throttle rows go, live ones and ones expired over five years ago stay", async () => {
    const registry = new RegistryRepository(db, LOCAL_TABLES.registry);
    const throttle = new NotificationThrottleRepository(db, LOCAL_TABLES.deliveries);
    const credential = { kind: 'access' as const, memberId: 'a'.repeat(32), clientId: 'local.ttl', userId: 1, admin: false, generation: 'g' };
    const [expired, live, ancient] = ['expired', 'live', 'ancient'].map((name) => `${name}-${randomBytes(8).toString('hex')}`);
    // The repository keeps a token a day past its expiry (ttl = expiresAt + 1 day).
    await registry.putCredential(expired!, { ...credential, expiresAt: nowSeconds() - 86400 - 2 });
    await registry.putCredential(live!, { ...credential, expiresAt: nowSeconds() + 3600 });
    // More than five years past: DynamoDB's TTL leaves such items alone, so does the sweeper.
    await registry.putCredential(ancient!, { ...credential, expiresAt: nowSeconds() - 6 * 365 * 86400 });
    // A throttle row whose window ended more than a day ago (its ttl), through the service's own adapter.
    const key = `${'b'.repeat(32)}#${randomBytes(4).readUInt32BE()}`;
    const longAgo = Date.now() - 3 * 86400 * 1000;
    expect(await throttle.tryLead(key, longAgo, longAgo + 1000)).toBe(true);
    const throttleRow = async () =>
      (await raw.send(new GetItemCommand({ TableName: LOCAL_TABLES.deliveries, Key: { pk: { S: `N#${key}` }, sk: { S: 'THROTTLE' } }, ConsistentRead: true }))).Item;

    expect(await waitFor(async () => (await registry.getCredential(expired!)) === undefined, 15 * NODE_ENGINE_TTL_SWEEP_MS)).toBe(true);
    expect(await waitFor(async () => (await throttleRow()) === undefined, 15 * NODE_ENGINE_TTL_SWEEP_MS)).toBe(true);
    // Several sweeps later the others are still there.
    await new Promise((r) => setTimeout(r, 2 * NODE_ENGINE_TTL_SWEEP_MS));
    expect(await registry.getCredential(live!)).toMatchObject({ clientId: 'local.ttl' });
    expect(await registry.getCredential(ancient!)).toMatchObject({ clientId: 'local.ttl' });
  });
});

describe('the Node engine on disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'b24-dynalite-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps tables, items and the TTL setting across a restart', async () => {
    const path = engineDataDir(dir, 'node');
    const first = await startDynamo({ engine: 'node', port: await freePort(), path });
    await ensureTables(first.endpoint, LOCAL_TABLES);
    const Key = { pk: { S: 'restart' }, sk: { S: 'x' } };
    let client = localClient(first.endpoint);
    await client.send(new PutItemCommand({ TableName: LOCAL_TABLES.registry, Item: { ...Key, v: { S: 'kept' } } }));
    client.destroy();
    await first.stop();
    expect(existsSync(join(path, 'ttl.json'))).toBe(true);

    const second = await startDynamo({ engine: 'node', port: await freePort(), path });
    try {
      await ensureTables(second.endpoint, LOCAL_TABLES); // existing tables: left as they are
      client = localClient(second.endpoint);
      expect((await client.send(new GetItemCommand({ TableName: LOCAL_TABLES.registry, Key }))).Item).toEqual({ ...Key, v: { S: 'kept' } });
      const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: LOCAL_TABLES.journal }));
      expect(TimeToLiveDescription?.TimeToLiveStatus).toBe('ENABLED');
      client.destroy();
    } finally {
      await second.stop();
    }
  });
});
