import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { JournaledChange } from '../../domain/offline-notification';
import type { NotificationThrottle } from '../../domain/ports';
import { KEY_PREFIXES } from './tables';

/**
 * ONOFFLINEEVENT throttle rows in the deliveries table: pk `N#{member_id}#{binding id}`,
 * sk `THROTTLE`; attributes windowEnd (unix ms), trail (bool: a trailing notification is scheduled), event and type of the
 * change the trailing notification announces, ttl (a day after the window).
 *
 * Costs: a publish that journals records costs one conditional UpdateItem per ONOFFLINEEVENT
 * binding of the application (1 WRU; a lost condition costs 1 WRU too). A trailing
 * notification costs a GetItem and one conditional UpdateItem.
 */
export class NotificationThrottleRepository implements NotificationThrottle {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async tryLead(key: string, now: number, windowEnd: number): Promise<boolean> {
    return this.conditional({
      UpdateExpression: 'SET windowEnd = :end, trail = :false, #ttl = :ttl',
      ConditionExpression: 'attribute_not_exists(windowEnd) OR windowEnd <= :now',
      ExpressionAttributeValues: { ':end': windowEnd, ':false': false, ':now': now, ':ttl': expiry(windowEnd) },
    }, key);
  }

  async tryTrail(key: string, now: number, change: JournaledChange): Promise<number | undefined> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: rowKey(key),
          UpdateExpression: 'SET trail = :true, #event = :event, #type = :type',
          ConditionExpression: 'windowEnd > :now AND trail = :false',
          ExpressionAttributeNames: { '#event': 'event', '#type': 'type' },
          ExpressionAttributeValues: { ':true': true, ':false': false, ':now': now, ':event': change.event, ':type': change.type },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes?.windowEnd as number;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async pendingTrailing(key: string, windowEnd: number): Promise<JournaledChange | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: rowKey(key), ConsistentRead: true }));
    if (!Item || Item.windowEnd !== windowEnd || Item.trail !== true) return undefined;
    return { event: Item.event as string, type: Item.type as JournaledChange['type'] };
  }

  async closeTrailing(key: string, windowEnd: number, nextWindowEnd: number): Promise<boolean> {
    return this.conditional({
      UpdateExpression: 'SET windowEnd = :next, trail = :false, #ttl = :ttl',
      ConditionExpression: 'windowEnd = :end AND trail = :true',
      ExpressionAttributeValues: { ':next': nextWindowEnd || windowEnd, ':false': false, ':true': true, ':end': windowEnd, ':ttl': expiry(nextWindowEnd || windowEnd) },
    }, key);
  }

  private async conditional(update: { UpdateExpression: string; ConditionExpression: string; ExpressionAttributeValues: Record<string, unknown> }, key: string): Promise<boolean> {
    try {
      await this.db.send(new UpdateCommand({ TableName: this.table, Key: rowKey(key), ExpressionAttributeNames: update.UpdateExpression.includes('#ttl') ? { '#ttl': 'ttl' } : undefined, ...update }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

const rowKey = (key: string) => ({ pk: `${KEY_PREFIXES.deliveries.notificationThrottle}${key}`, sk: 'THROTTLE' });
const expiry = (windowEnd: number): number => Math.ceil(windowEnd / 1000) + 24 * 3600;
