import { randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type BatchWriteCommandInput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { HEALTHY, type HandlerHealth } from '../../domain/handler-health';
import type { DeliveryAttempt, DeliveryLog } from '../../domain/ports';
import { KEY_PREFIXES } from './tables';

/**
 * Deliveries table: handler health and the attempt log (docs/delivery.md).
 *
 * | item          | pk                          | sk                                    |
 * |---------------|-----------------------------|---------------------------------------|
 * | handler health| H#{handler URL}             | HEALTH                                |
 * | attempt       | A#{member_id}#{client_id}   | {unix ms, 13 digits}#{binding}#{rand} |
 *
 * Costs: every attempt is one item (1 WRU) that expires after the retention (TTL); the worker
 * writes a batch's attempts with BatchWriteItem (25 per request; unprocessed items sent again).
 * Health is read at most once per DELIVERY_CACHE_SECONDS per worker (GetItem, 0.5 RRU;
 * usecases/delivery-memory.ts) and written only while a handler is
 * slow or failing, or recovering (1 WRU); a slow handler's turn is one conditional UpdateItem.
 * The attempt log of an application is a Query, newest first.
 */
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
    return { latencyMs: number(Item.latencyMs), failures: number(Item.failures), nextAt: number(Item.nextAt) };
  }

  async putHealth(handler: string, health: HandlerHealth, now: number): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        // A handler nobody calls for a month is forgotten.
        Item: { ...healthKey(handler), ...health, ttl: Math.ceil(now / 1000) + 30 * 24 * 3600 },
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

  async recordAttempt(attempt: DeliveryAttempt): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: this.attemptItem(attempt) }));
  }

  async recordAttempts(attempts: readonly DeliveryAttempt[]): Promise<void> {
    for (let i = 0; i < attempts.length; i += BATCH_WRITE_MAX) {
      let requests: NonNullable<BatchWriteCommandInput['RequestItems']>[string] = attempts.slice(i, i + BATCH_WRITE_MAX).map((a) => ({ PutRequest: { Item: this.attemptItem(a) } }));
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
  }

  private attemptItem(attempt: DeliveryAttempt): Record<string, unknown> {
    return {
      pk: attemptsPk(attempt.memberId, attempt.clientId),
      sk: `${String(attempt.at).padStart(13, '0')}#${attempt.bindingId}#${randomBytes(4).toString('hex')}`,
      ...attempt,
      ttl: Math.ceil(attempt.at / 1000) + this.retentionSeconds,
    };
  }

  async listAttempts(memberId: string, clientId: string, limit: number): Promise<DeliveryAttempt[]> {
    const { Items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': attemptsPk(memberId, clientId) },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return Items.map(({ pk: _pk, sk: _sk, ttl: _ttl, ...attempt }) => attempt as DeliveryAttempt);
  }
}

/** BatchWriteItem's limit per request. */
const BATCH_WRITE_MAX = 25;
/** Resends of unprocessed items before the batch write gives up (about 4 s of pauses). */
const UNPROCESSED_ROUNDS = 8;

const healthKey = (handler: string) => ({ pk: `${KEY_PREFIXES.deliveries.health}${handler}`, sk: 'HEALTH' });
const attemptsPk = (memberId: string, clientId: string) => `${KEY_PREFIXES.deliveries.attempts}${memberId}#${clientId}`;
