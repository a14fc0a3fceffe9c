import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DeleteCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { forEachLimited } from '../../domain/concurrency';
import type { IdGenerator } from '../../domain/ids';
import type { JournalRecord, QueueKey } from '../../domain/model';
import type { ClaimOptions, JournalStore, JournalWrite } from '../../domain/ports';
import { queryAll } from './query-all';

/**
 * Journal table: the offline queues (SPEC §5). One partition per queue.
 *
 * | item                   | pk                                    | sk                          |
 * |------------------------|---------------------------------------|-----------------------------|
 * | pending record         | Q#{member_id}#{client_id}#{connector} | P#{MESSAGE_ID}              |
 * | pending error record   | same                                  | E#{MESSAGE_ID}              |
 * | claimed record         | same                                  | C#{process_id}#{ID, 16 digits} |
 *
 * The connector is URI-encoded in the key, so any string is safe there. A pending record's key
 * is its MESSAGE_ID, so a publish merges into it with one write; a claim (event.offline.get
 * with clear=0) moves the record to the process's key space, so a later write of the same
 * MESSAGE_ID creates a new pending record and never touches a claimed one.
 *
 * Attributes: id (N, see domain/ids.ts), ts (unix ms of the last write), ev (EVENT_NAME),
 * data (EVENT_DATA as JSON text), add (EVENT_ADDITIONAL as JSON text), mid (MESSAGE_ID); claimed records also pid,
 * err (it was an error record), exp (claim expiry, unix ms) and ttl (unix s, DynamoDB TTL).
 * Reads drop claims past `exp` even before TTL removes them. Event data is kept as JSON text,
 * not as a DynamoDB map: any JSON the producer sends (empty keys, deep nesting, numbers
 * beyond DynamoDB's range) round-trips exactly.
 *
 * Access patterns and cost (items of ~300 B; 1 WRU per write up to 1 KB; reads eventually
 * consistent, 0.5 RRU per 4 KB):
 * - publish, write or merge: one UpdateItem on (queue, P#{MESSAGE_ID}) = 1 WRU for a new
 *   record and for a merge; `if_not_exists` keeps the first ID, ReturnValues tells which.
 * - event.offline.get, clear=1: one conditional DeleteItem per record (the claim is the
 *   delete, ReturnValues gives the record as it was) = 1 WRU.
 * - event.offline.get, clear=0: PutItem of the claimed copy, then a DeleteItem of the pending
 *   record conditional on it being unchanged = 2 WRU; event.offline.clear then deletes the
 *   copy = 1 WRU: 3 in all. The copy is written first, so a crash between the two leaves a
 *   record twice (delivered again), never lost. A caller that loses a race pays one
 *   failed conditional delete and one delete of its copy.
 * - candidates for a claim: Query of the queue's pending key range (P# or E#), filtered and
 *   ordered in memory. This reads every pending record of the queue on each get: fine for
 *   queues that are drained, costly for very long ones (to be replaced by an ordered index).
 * - event.offline.list: Query of the queue partition, filtered and ordered in memory.
 * - event.offline.error: PutItem E#… + DeleteItem of the claimed copy + deletes of the other
 *   non-error copies (a Query of the claimed range to find them).
 * - uninstall: Query keys of the partition, BatchWriteItem deletes (1 WRU per record).
 */
export class JournalRepository implements JournalStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly ids: IdGenerator,
    private readonly claimLifetimeMs = 30 * 24 * 3600 * 1000,
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
            ':data': JSON.stringify(write.eventData ?? null),
            ':add': JSON.stringify(write.eventAdditional),
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

  async readAll(queue: QueueKey, now: number): Promise<JournalRecord[]> {
    return (await this.query(queue, '')).filter((r) => live(r, now)).map(recordFromItem);
  }

  async readPending(queue: QueueKey, error: boolean): Promise<JournalRecord[]> {
    return (await this.query(queue, error ? 'E#' : 'P#')).map(recordFromItem);
  }

  async claim(queue: QueueKey, candidates: readonly JournalRecord[], options: ClaimOptions): Promise<JournalRecord[]> {
    const claimed: JournalRecord[] = [];
    let next = 0;
    while (claimed.length < options.limit && next < candidates.length) {
      const batch = candidates.slice(next, next + options.limit - claimed.length);
      next += batch.length;
      const results: (JournalRecord | undefined)[] = new Array(batch.length);
      await forEachLimited(batch, 16, async (candidate, i) => {
        results[i] = options.clear ? await this.claimByDelete(queue, candidate) : await this.claimByMove(queue, candidate, options);
      });
      for (const record of results) if (record) claimed.push(record);
    }
    return claimed;
  }

  /** clear=1: whoever deletes the record has it; the delete returns it as it was. */
  private async claimByDelete(queue: QueueKey, candidate: JournalRecord): Promise<JournalRecord | undefined> {
    try {
      const { Attributes } = await this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { pk: queuePk(queue), sk: recordSk(candidate) },
          ConditionExpression: 'id = :id',
          ExpressionAttributeValues: { ':id': candidate.id },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return Attributes ? recordFromItem(Attributes) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  /**
   * clear=0: copy the record under the process, then delete the pending record if it is
   * still the one that was copied. If a publish merged into it meanwhile, copy the new
   * version and try again; if another caller took it, drop the copy.
   */
  private async claimByMove(queue: QueueKey, candidate: JournalRecord, options: ClaimOptions): Promise<JournalRecord | undefined> {
    let current = candidate;
    for (let attempt = 0; attempt < 3; attempt++) {
      const claimed: JournalRecord = { ...current, processId: options.processId };
      const exp = options.now + this.claimLifetimeMs;
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...toItem(queue, claimed), exp, ttl: Math.ceil(exp / 1000) },
        }),
      );
      try {
        await this.db.send(
          new DeleteCommand({
            TableName: this.table,
            Key: { pk: queuePk(queue), sk: recordSk(current) },
            ConditionExpression: 'id = :id AND ts = :ts',
            ExpressionAttributeValues: { ':id': current.id, ':ts': current.timestamp },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return claimed;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) {
          // The claim did not happen: take the copy back (best effort) so it does not linger.
          await this.deleteKeys([{ pk: queuePk(queue), sk: recordSk(claimed) }]).catch(() => undefined);
          throw error;
        }
        const now = error.Item ? recordFromItem(unmarshall(error.Item)) : undefined;
        if (!now || now.id !== current.id) {
          await this.deleteKeys([{ pk: queuePk(queue), sk: recordSk(claimed) }]);
          return undefined;
        }
        current = now; // merged since it was read: the copy is rewritten with the new version
      }
    }
    return undefined;
  }

  async readProcess(queue: QueueKey, processId: string, now: number): Promise<JournalRecord[]> {
    return (await this.query(queue, `C#${processId}#`)).filter((r) => live(r, now)).map(recordFromItem);
  }

  async deleteClaimed(queue: QueueKey, records: readonly JournalRecord[]): Promise<void> {
    await this.deleteKeys(records.map((r) => ({ pk: queuePk(queue), sk: recordSk(r) })));
  }

  async markError(queue: QueueKey, records: readonly JournalRecord[], now: number): Promise<void> {
    if (records.length === 0) return;
    // The error record first: a crash after it leaves a copy to clean, never a lost record.
    await forEachLimited(records, 16, async (record) => {
      const pending: JournalRecord = { ...record, processId: '', error: true, timestamp: now };
      await this.db.send(new PutCommand({ TableName: this.table, Item: toItem(queue, pending) }));
    });
    const messageIds = new Set(records.map((r) => r.messageId));
    const otherCopies = (await this.query(queue, 'C#'))
      .map(recordFromItem)
      .filter((r) => messageIds.has(r.messageId) && !r.error);
    const doomed = [
      ...records.map((r) => recordSk(r)),
      ...otherCopies.map((r) => recordSk(r)),
      ...[...messageIds].map((mid) => `P#${mid}`),
    ];
    await this.deleteKeys([...new Set(doomed)].map((sk) => ({ pk: queuePk(queue), sk })));
  }

  private async query(queue: QueueKey, prefix: string, projection?: string): Promise<Record<string, unknown>[]> {
    return queryAll(this.db, {
      TableName: this.table,
      KeyConditionExpression: prefix ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk',
      ExpressionAttributeValues: { ':pk': queuePk(queue), ...(prefix ? { ':prefix': prefix } : {}) },
      ...(projection ? { ProjectionExpression: projection } : {}),
    });
  }

  private async deleteKeys(keys: { pk: string; sk: string }[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 25) await batchDelete(this.db, this.table, keys.slice(i, i + 25));
  }

  async deleteQueue(queue: QueueKey): Promise<number> {
    const keys = (await this.query(queue, '', 'pk, sk')) as { pk: string; sk: string }[];
    await this.deleteKeys(keys);
    return keys.length;
  }
}

export function queuePk(queue: QueueKey): string {
  return `Q#${queue.memberId}#${queue.clientId}#${encodeURIComponent(queue.connector)}`;
}

/** The sort key a record lives under: pending (P#), pending error (E#) or claimed (C#). */
export function recordSk(record: JournalRecord): string {
  if (record.processId !== '') return `C#${record.processId}#${String(record.id).padStart(16, '0')}`;
  return `${record.error ? 'E' : 'P'}#${record.messageId}`;
}

function toItem(queue: QueueKey, record: JournalRecord): Record<string, unknown> {
  return {
    pk: queuePk(queue),
    sk: recordSk(record),
    id: record.id,
    ts: record.timestamp,
    ev: record.eventName,
    data: JSON.stringify(record.eventData ?? null),
    add: JSON.stringify(record.eventAdditional),
    mid: record.messageId,
    ...(record.processId !== '' ? { pid: record.processId } : {}),
    ...(record.error ? { err: true } : {}),
  };
}

/** A claimed record is live until its claim expires; pending records always are. */
const live = (item: Record<string, unknown>, now: number): boolean => typeof item.exp !== 'number' || item.exp > now;

function recordFromItem(item: Record<string, unknown>): JournalRecord {
  return {
    id: item.id as number,
    timestamp: item.ts as number,
    eventName: item.ev as string,
    eventData: JSON.parse(item.data as string) as unknown,
    eventAdditional: JSON.parse((item.add as string | undefined) ?? '{}') as Record<string, unknown>,
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
