import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type BatchWriteCommandInput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { matchesAttempt, newestFirst } from '../../domain/delivery-history';
import { HEALTHY, offKey, type HandlerHealth, type SwitchOff } from '../../domain/handler-health';
import type { AttemptFilter, DeliveryAttempt, DeliveryLog } from '../../domain/ports';
import { KEY_PREFIXES } from './tables';

/**
 * Deliveries table: handler health (with its switch-offs) and the attempt log (docs/delivery.md).
 *
 * | item           | pk                                  | sk                                          |
 * |----------------|-------------------------------------|---------------------------------------------|
 * | handler health | H#{handler URL}                     | HEALTH (attributes `off#{member}#{client}`)  |
 * | attempt        | A#{member_id}#{client_id}#{shard}   | {unix ms, 13 digits}#{delivery id}#{attempt} |
 *
 * The attempt log of one application is spread over ATTEMPT_SHARDS partitions by delivery id
 * (every attempt of a delivery in one), so an application is not one hot key: one partition
 * takes 1,000 writes of ≤ 1 KB a second, four take 4,000. A list queries every shard newest
 * first (the sort key starts with the time, so a date filter is a key range) and merges.
 *
 * Costs: every attempt is one item (1 WRU while the row, payload included, is ≤ 1 KB) that
 * expires after the retention (TTL); the worker writes a batch's attempts with BatchWriteItem
 * (25 per request; unprocessed items sent again). Health is read at most once per
 * DELIVERY_CACHE_SECONDS per worker (GetItem, 0.5 RRU; usecases/delivery-memory.ts) and
 * written only while a handler is slow or failing, or recovering (1 WRU); a slow handler's turn
 * is one conditional UpdateItem. A switch-off is an attribute of the health row, so checking it
 * costs no extra read. Finding one delivery by id (resend) reads its shard newest first until
 * the id turns up: cheap for recent deliveries, up to the shard's whole retention otherwise.
 */
export const ATTEMPT_SHARDS = 4;

const OFF_PREFIX = 'off#';
const pad = (ms: number) => String(Math.max(0, Math.floor(ms))).padStart(13, '0');

export class DeliveryLogRepository implements DeliveryLog {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly retentionSeconds: number,
  ) {}

  async getHealth(handler: string): Promise<HandlerHealth> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: healthKey(handler) }));
    if (!Item) return HEALTHY;
    const number = (value: unknown) => (typeof value === 'number' ? value : 0);
    const off: Record<string, SwitchOff> = {};
    for (const [name, value] of Object.entries(Item)) {
      if (name.startsWith(OFF_PREFIX) && value && typeof value === 'object') {
        const v = value as { at?: unknown; reason?: unknown };
        off[name.slice(OFF_PREFIX.length)] = { at: number(v.at), reason: typeof v.reason === 'string' ? v.reason : '' };
      }
    }
    const failingSince = number(Item.failingSince);
    return {
      latencyMs: number(Item.latencyMs),
      failures: number(Item.failures),
      nextAt: number(Item.nextAt),
      ...(failingSince ? { failingSince } : {}),
      ...(Object.keys(off).length > 0 ? { off } : {}),
    };
  }

  async putHealth(handler: string, health: HandlerHealth, now: number): Promise<void> {
    // An update, not a put: the switch-offs on the row stay as they are.
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: healthKey(handler),
        UpdateExpression: 'SET latencyMs = :l, failures = :f, nextAt = :n, failingSince = :s, #ttl = :ttl',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        // A handler nobody calls for a month is forgotten.
        ExpressionAttributeValues: { ':l': health.latencyMs, ':f': health.failures, ':n': health.nextAt, ':s': health.failingSince ?? 0, ':ttl': monthFrom(now) },
      }),
    );
  }

  async reserveTurn(handler: string, now: number, until: number): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: healthKey(handler),
          UpdateExpression: 'SET nextAt = :until',
          ConditionExpression: 'attribute_not_exists(nextAt) OR nextAt <= :now',
          ExpressionAttributeValues: { ':until': until, ':now': now },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async switchOff(handler: string, memberId: string, clientId: string, state: SwitchOff): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: healthKey(handler),
        UpdateExpression: 'SET #off = :state, #ttl = :ttl',
        ExpressionAttributeNames: { '#off': `${OFF_PREFIX}${offKey(memberId, clientId)}`, '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':state': { at: state.at, reason: state.reason.slice(0, 500) }, ':ttl': monthFrom(state.at) },
      }),
    );
  }

  async switchOn(handler: string, memberId: string, clientId: string, now: number): Promise<boolean> {
    const name = `${OFF_PREFIX}${offKey(memberId, clientId)}`;
    const { Attributes } = await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: healthKey(handler),
        UpdateExpression: 'REMOVE #off SET failures = :zero, failingSince = :zero, nextAt = :zero, #ttl = :ttl',
        ExpressionAttributeNames: { '#off': name, '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':zero': 0, ':ttl': monthFrom(now) },
        ReturnValues: 'UPDATED_OLD',
      }),
    );
    return Attributes?.[name] !== undefined;
  }

  async recordAttempt(attempt: DeliveryAttempt): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: this.attemptItem(attempt) }));
  }

  async recordAttempts(attempts: readonly DeliveryAttempt[]): Promise<void> {
    // One item per key: BatchWriteItem refuses a whole request that puts one key twice (the
    // same message received twice in a batch, in the same millisecond).
    const items = [...new Map(attempts.map((a) => this.attemptItem(a)).map((item) => [`${String(item.pk)} ${String(item.sk)}`, item])).values()];
    const errors: string[] = [];
    for (let i = 0; i < items.length; i += BATCH_WRITE_MAX) {
      // Every chunk is tried: one that fails does not keep the others from being written.
      try {
        await this.writeChunk(items.slice(i, i + BATCH_WRITE_MAX));
      } catch (error) {
        errors.push((error as Error).message);
      }
    }
    if (errors.length > 0) throw new Error(`attempt records not written: ${errors.join('; ')}`);
  }

  private async writeChunk(items: Record<string, unknown>[]): Promise<void> {
    let requests: NonNullable<BatchWriteCommandInput['RequestItems']>[string] = items.map((Item) => ({ PutRequest: { Item } }));
    // Items DynamoDB did not process (throttling) are sent again after a growing pause.
    for (let round = 0; requests.length > 0; round++) {
      if (round > 0) {
        if (round > UNPROCESSED_ROUNDS) throw new Error(`${requests.length} attempt records left unprocessed after ${UNPROCESSED_ROUNDS} retries`);
        await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** round)));
      }
      const { UnprocessedItems } = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.table]: requests } }));
      requests = UnprocessedItems?.[this.table] ?? [];
    }
  }

  private attemptItem(attempt: DeliveryAttempt): Record<string, unknown> {
    return {
      pk: attemptsPk(attempt.memberId, attempt.clientId, shardOf(attempt.deliveryId)),
      sk: `${pad(attempt.at)}#${attempt.deliveryId}#${String(attempt.attempt).padStart(3, '0')}`,
      ...attempt,
      ttl: Math.ceil(attempt.at / 1000) + this.retentionSeconds,
    };
  }

  async listAttempts(memberId: string, clientId: string, limit: number, filter: AttemptFilter = {}): Promise<DeliveryAttempt[]> {
    const shards = await Promise.all(Array.from({ length: ATTEMPT_SHARDS }, (_, shard) => this.readShard(memberId, clientId, shard, filter, limit)));
    return shards.flat().sort(newestFirst).slice(0, limit);
  }

  async countAttempts(memberId: string, clientId: string, filter: AttemptFilter = {}): Promise<number> {
    const counts = await Promise.all(
      Array.from({ length: ATTEMPT_SHARDS }, async (_, shard) => {
        // Binding ids are checked here rather than in DynamoDB (an IN takes at most 100 values).
        if (filter.bindingIds !== undefined) return (await this.readShard(memberId, clientId, shard, filter, Number.MAX_SAFE_INTEGER)).length;
        let count = 0;
        let ExclusiveStartKey: Record<string, unknown> | undefined;
        do {
          const page = await this.db.send(new QueryCommand({ ...this.query(memberId, clientId, shard, filter), Select: 'COUNT', ExclusiveStartKey }));
          count += page.Count ?? 0;
          ExclusiveStartKey = page.LastEvaluatedKey;
        } while (ExclusiveStartKey);
        return count;
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  async findDelivery(memberId: string, clientId: string, deliveryId: string): Promise<DeliveryAttempt | undefined> {
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          FilterExpression: 'deliveryId = :id',
          ExpressionAttributeValues: { ':pk': attemptsPk(memberId, clientId, shardOf(deliveryId)), ':id': deliveryId },
          ScanIndexForward: false,
          ExclusiveStartKey,
        }),
      );
      const [found] = (page.Items ?? []).map(toAttempt);
      if (found) return found;
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return undefined;
  }

  /** One shard's matching attempts, newest first, until `limit` are found or the shard ends. */
  private async readShard(memberId: string, clientId: string, shard: number, filter: AttemptFilter, limit: number): Promise<DeliveryAttempt[]> {
    const found: DeliveryAttempt[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(new QueryCommand({ ...this.query(memberId, clientId, shard, filter), ScanIndexForward: false, ExclusiveStartKey }));
      for (const item of page.Items ?? []) {
        const attempt = toAttempt(item);
        if (matchesAttempt(attempt, filter)) found.push(attempt);
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey && found.length < limit);
    return found;
  }

  /** The key range (dates) and filter expression (status, event, handler) of one shard. */
  private query(memberId: string, clientId: string, shard: number, filter: AttemptFilter) {
    const values: Record<string, unknown> = {
      ':pk': attemptsPk(memberId, clientId, shard),
      ':lo': pad(filter.from ?? 0),
      // Every sort key of a time before `before` sorts below its 13 digits.
      ':hi': filter.before !== undefined ? pad(filter.before) : '9999999999999~',
    };
    const names: Record<string, string> = {};
    const conditions: string[] = [];
    if (filter.outcomes !== undefined) {
      names['#outcome'] = 'outcome';
      conditions.push(`#outcome IN (${filter.outcomes.map((o, i) => ((values[`:o${i}`] = o), `:o${i}`)).join(', ')})`);
    }
    if (filter.event !== undefined) {
      names['#event'] = 'event';
      values[':event'] = filter.event;
      conditions.push('#event = :event');
    }
    if (filter.handler !== undefined) {
      names['#handler'] = 'handler';
      values[':handler'] = filter.handler;
      conditions.push('#handler = :handler');
    }
    return {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
      ...(conditions.length > 0 ? { FilterExpression: conditions.join(' AND ') } : {}),
      ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: values,
    };
  }
}

/** BatchWriteItem's limit per request. */
const BATCH_WRITE_MAX = 25;
/** Resends of unprocessed items before the batch write gives up (about 4 s of pauses). */
const UNPROCESSED_ROUNDS = 8;

function toAttempt(item: Record<string, unknown>): DeliveryAttempt {
  const attempt = { ...item };
  delete attempt.pk;
  delete attempt.sk;
  delete attempt.ttl;
  return attempt as unknown as DeliveryAttempt;
}

const monthFrom = (now: number) => Math.ceil(now / 1000) + 30 * 24 * 3600;
const healthKey = (handler: string) => ({ pk: `${KEY_PREFIXES.deliveries.health}${handler}`, sk: 'HEALTH' });
const attemptsPk = (memberId: string, clientId: string, shard: number) => `${KEY_PREFIXES.deliveries.attempts}${memberId}#${clientId}#${shard}`;

/** The shard of a delivery: a cheap, stable hash of its id. */
export function shardOf(deliveryId: string): number {
  let hash = 0;
  for (let i = 0; i < deliveryId.length; i++) hash = (hash * 31 + deliveryId.charCodeAt(i)) >>> 0;
  return hash % ATTEMPT_SHARDS;
}
