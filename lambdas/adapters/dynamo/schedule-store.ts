import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, paginateQuery, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TrailingNotification } from '../../domain/offline-notification';
import type { NotificationScheduler } from '../../domain/ports';
import { KEY_PREFIXES } from './tables';

export interface DueSchedule {
  name: string;
  at: number;
  input: TrailingNotification;
}

/**
 * The local runtime's scheduler: schedules kept in the deliveries table (pk `SCHEDULE`,
 * sk = the schedule name, so a name is scheduled once), which local/scheduler.ts fires
 * in-process at their time. Kept in DynamoDB Local on disk, a schedule survives a restart.
 */
export class DynamoScheduleStore implements NotificationScheduler {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async scheduleAt(name: string, at: number, input: TrailingNotification): Promise<void> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: KEY_PREFIXES.deliveries.schedule, sk: name, at, input: JSON.stringify(input) },
          ConditionExpression: 'attribute_not_exists(sk)',
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async list(): Promise<DueSchedule[]> {
    const schedules: DueSchedule[] = [];
    const pages = paginateQuery({ client: this.db }, { TableName: this.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': KEY_PREFIXES.deliveries.schedule } });
    for await (const page of pages) {
      for (const i of page.Items ?? []) schedules.push({ name: i.sk as string, at: i.at as number, input: JSON.parse(i.input as string) as TrailingNotification });
    }
    return schedules;
  }

  /** Removes a schedule before it runs; false when another runner took it first. */
  async take(name: string): Promise<boolean> {
    try {
      await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: KEY_PREFIXES.deliveries.schedule, sk: name }, ConditionExpression: 'attribute_exists(sk)' }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
