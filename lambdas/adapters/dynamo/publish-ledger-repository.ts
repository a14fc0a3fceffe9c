import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { LedgerClaim, PublishLedger } from '../../domain/ports';
import { KEY_PREFIXES } from './tables';

/**
 * The publish idempotency window (usecases/publish.ts, docs/producer.md "Retries") in the
 * deliveries table: pk `M#{member_id}#{message_id}`, sk `MSG`; attributes hash (the version
 * last published), done (list of the targets written for it), exp (unix ms: the window's
 * end), lockBy and lockUntil (the request publishing it now), ttl (unix s, DynamoDB TTL).
 *
 * Costs, only for events that carry a `message_id`: a new version takes the row with one
 * conditional UpdateItem and stores what it wrote with another: 2 WRU per distinct
 * message_id per request. A retry pays one more (its first condition fails: 1 WRU, and the
 * old row it returns says it is a retry).
 */
export class PublishLedgerRepository implements PublishLedger {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async begin(memberId: string, messageId: string, hash: string, request: string, now: number, lockMs: number, windowMs: number): Promise<LedgerClaim> {
    const values = { ':req': request, ':until': now + lockMs, ':now': now, ':hash': hash, ':ttl': Math.ceil((now + Math.max(lockMs, windowMs)) / 1000) };
    try {
      // A new version (or the window is over): take the row with nothing written yet.
      await this.update(memberId, messageId, {
        UpdateExpression: 'SET lockBy = :req, lockUntil = :until, #hash = :hash, done = :none, #ttl = :ttl REMOVE #exp',
        ConditionExpression: '(attribute_not_exists(lockUntil) OR lockUntil <= :now) AND (attribute_not_exists(#hash) OR #hash <> :hash OR attribute_not_exists(#exp) OR #exp <= :now)',
        ExpressionAttributeNames: { '#hash': 'hash', '#exp': 'exp', '#ttl': 'ttl' },
        ExpressionAttributeValues: { ...values, ':none': [] },
      });
      return { done: [] };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const old = error.Item ? unmarshall(error.Item) : {};
      if (typeof old.lockUntil === 'number' && old.lockUntil > now) return old.hash === hash ? 'busy' : 'other';
    }
    try {
      // A retry of the version last published, within its window: take the row and keep what it wrote.
      const { Attributes } = await this.update(memberId, messageId, {
        UpdateExpression: 'SET lockBy = :req, lockUntil = :until, #ttl = :ttl',
        ConditionExpression: '(attribute_not_exists(lockUntil) OR lockUntil <= :now) AND #hash = :hash AND #exp > :now',
        ExpressionAttributeNames: { '#hash': 'hash', '#exp': 'exp', '#ttl': 'ttl' },
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_OLD',
      });
      return { done: Array.isArray(Attributes?.done) ? (Attributes.done as string[]) : [] };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return 'busy'; // another request took it in between
    }
  }

  async finish(memberId: string, messageId: string, request: string, done: string[], now: number, windowMs: number): Promise<void> {
    try {
      await this.update(memberId, messageId, {
        UpdateExpression: 'SET done = :done, #exp = :exp, #ttl = :ttl REMOVE lockBy, lockUntil',
        // Only while this request still holds it: after its lock ran out another may be at it.
        ConditionExpression: 'lockBy = :req',
        ExpressionAttributeNames: { '#exp': 'exp', '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':done': done, ':exp': now + windowMs, ':ttl': Math.ceil((now + windowMs) / 1000), ':req': request },
      });
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  private update(memberId: string, messageId: string, input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName' | 'Key'>) {
    return this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: `${KEY_PREFIXES.deliveries.publishLedger}${memberId}#${messageId.toLowerCase()}`, sk: 'MSG' },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        ...input,
      }),
    );
  }
}
