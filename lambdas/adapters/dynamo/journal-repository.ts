import { BatchWriteCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { forEachLimited } from '../../domain/concurrency';
import type { IdGenerator } from '../../domain/ids';
import type { JournalRecord, QueueKey } from '../../domain/model';
import type { JournalStore, JournalWrite } from '../../domain/ports';

/**
 * Journal table: the offline queues (SPEC §5). One partition per queue.
 *
 * | item                   | pk                                        | sk              |
 * |------------------------|-------------------------------------------|-----------------|
 * | pending record         | Q#{member_id}#{client_id}#{connector}     | P#{MESSAGE_ID}  |
 *
 * The connector is URI-encoded in the key, so any string is safe there. Items under `P#` are
 * always pending (no process): a claim (event.offline.get) moves a record out of this key
 * space, so a later write of the same MESSAGE_ID creates a new pending record and never
 * touches a claimed one.
 *
 * Attributes: id (N, see domain/ids.ts), ts (unix ms of the last write), ev (EVENT_NAME),
 * data (EVENT_DATA), add (EVENT_ADDITIONAL), mid (MESSAGE_ID).
 *
 * Access patterns and cost (items of ~300 B; 1 WRU per write up to 1 KB):
 * - publish, write or merge: one UpdateItem on (queue, P#{MESSAGE_ID}) = 1 WRU, the same for
 *   a new record and for a merge; `if_not_exists` keeps the first ID, ReturnValues tells
 *   which of the two it was. No read before the write, no index to update.
 * - event.offline.list: Query on the queue partition (0.5 RRU per 4 KB, eventually
 *   consistent), filtered and ordered in memory.
 * - uninstall: Query keys of the partition, BatchWriteItem deletes (1 WRU per record).
 */
export class JournalRepository implements JournalStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly ids: IdGenerator,
  ) {}

  async write(queue: QueueKey, writes: JournalWrite[], now: number): Promise<{ created: number; merged: number }> {
    const ids = await this.ids.next(writes.length);
    let created = 0;
    await forEachLimited(writes, 16, async (write, index) => {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: queuePk(queue), sk: `P#${write.messageId}` },
          UpdateExpression: 'SET ts = :ts, ev = :ev, #data = :data, #add = :add, mid = :mid, id = if_not_exists(id, :id)',
          ExpressionAttributeNames: { '#data': 'data', '#add': 'add' },
          ExpressionAttributeValues: {
            ':ts': now,
            ':ev': write.eventName,
            ':data': write.eventData ?? null,
            ':add': write.eventAdditional,
            ':mid': write.messageId,
            ':id': ids[index],
          },
          ReturnValues: 'UPDATED_OLD',
        }),
      );
      if (Attributes?.id === undefined) created++;
    });
    return { created, merged: writes.length - created };
  }

  async readAll(queue: QueueKey, _now: number): Promise<JournalRecord[]> {
    const records: JournalRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': queuePk(queue) },
          ExclusiveStartKey: start,
        }),
      );
      records.push(...(page.Items ?? []).map(recordFromItem));
      start = page.LastEvaluatedKey;
    } while (start);
    return records;
  }

  async deleteQueue(queue: QueueKey): Promise<number> {
    let deleted = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': queuePk(queue) },
          ProjectionExpression: 'pk, sk',
          ExclusiveStartKey: start,
        }),
      );
      const keys = (page.Items ?? []) as { pk: string; sk: string }[];
      for (let i = 0; i < keys.length; i += 25) {
        await batchDelete(this.db, this.table, keys.slice(i, i + 25));
      }
      deleted += keys.length;
      start = page.LastEvaluatedKey;
    } while (start);
    return deleted;
  }
}

export function queuePk(queue: QueueKey): string {
  return `Q#${queue.memberId}#${queue.clientId}#${encodeURIComponent(queue.connector)}`;
}

function recordFromItem(item: Record<string, unknown>): JournalRecord {
  return {
    id: item.id as number,
    timestamp: item.ts as number,
    eventName: item.ev as string,
    eventData: item.data,
    eventAdditional: (item.add as Record<string, unknown>) ?? {},
    messageId: item.mid as string,
    processId: (item.pid as string | undefined) ?? '',
    error: item.err === true,
  };
}

async function batchDelete(db: DynamoDBDocumentClient, table: string, keys: { pk: string; sk: string }[]): Promise<void> {
  let requests = keys.map((Key) => ({ DeleteRequest: { Key } }));
  for (let attempt = 0; requests.length > 0; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt)));
    if (attempt > 8) throw new Error(`BatchWriteItem left ${requests.length} deletes unprocessed`);
    const { UnprocessedItems } = await db.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
    requests = (UnprocessedItems?.[table] ?? []) as typeof requests;
  }
}
