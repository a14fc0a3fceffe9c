import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { admitLimit, intervalMs, type RateLimitSettings } from '../../domain/rate-limit';
import type { RateLimiter } from '../../domain/ports';
import { KEY_PREFIXES } from './tables';

/**
 * The per-application leaky bucket (domain/rate-limit.ts) in the deliveries table, shared by
 * every function: pk `R#{member_id}#{client_id}`, sk `RATE`, attributes emptyAt (unix ms) and
 * ttl (a day after the bucket empties).
 *
 * One conditional UpdateItem per request when the bucket is filling (`emptyAt` in the future:
 * add the request's weight unless that overflows), a second one when the bucket was empty
 * (`emptyAt` in the past or absent: start from now). When that second one loses to a
 * concurrent request that just started the bucket, the bucket is filling again and the first
 * form is tried once more, so concurrent requests are all counted. Cost: 1 WRU per admitted
 * request on a busy application, 2 after an idle spell or when refused, 3 in that race.
 */
export class DynamoRateLimiter implements RateLimiter {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly settings: RateLimitSettings,
  ) {}

  async admit(memberId: string, clientId: string, weight: number, now: number): Promise<boolean> {
    const s = this.settings;
    if (s.perSecond <= 0) return true;
    if (weight > s.burst) return false;
    const key = { pk: `${KEY_PREFIXES.deliveries.rateLimit}${memberId}#${clientId}`, sk: 'RATE' };
    const add = weight * intervalMs(s);
    const ttl = Math.ceil((now + s.burst * intervalMs(s)) / 1000) + 86400;
    // The bucket is filling: add the weight unless it overflows.
    const fill = () =>
      this.tryUpdate({
        TableName: this.table,
        Key: key,
        UpdateExpression: 'SET emptyAt = emptyAt + :add, #ttl = :ttl',
        ConditionExpression: 'emptyAt > :now AND emptyAt <= :limit',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':add': add, ':now': now, ':limit': admitLimit(s, now, weight), ':ttl': ttl },
      });
    if (await fill()) return true;
    // The bucket is empty (or was never used): start it from now.
    const started = await this.tryUpdate({
      TableName: this.table,
      Key: key,
      UpdateExpression: 'SET emptyAt = :start, #ttl = :ttl',
      ConditionExpression: 'attribute_not_exists(emptyAt) OR emptyAt <= :now',
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':start': now + add, ':now': now, ':ttl': ttl },
    });
    // Neither: full, or a concurrent request started the bucket in between.
    return started || fill();
  }

  private async tryUpdate(input: ConstructorParameters<typeof UpdateCommand>[0]): Promise<boolean> {
    try {
      await this.db.send(new UpdateCommand(input));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
