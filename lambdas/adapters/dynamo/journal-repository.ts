import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DeleteCommand, GetCommand, paginateQuery, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { forEachLimited } from '../../domain/concurrency';
import { composeId, ID_EPOCH_MS, idTime, TICK_MS, type IdGenerator } from '../../domain/ids';
import type { PendingWalk } from '../../domain/pending-selection';
import type { JournalRecord, QueueKey } from '../../domain/model';
import type { ClaimCandidate, ClaimLease, ClaimOptions, ClaimOutcome, JournalStore, JournalWrite, JournalWriteFailure, PendingFigures, QueueLimits, RemovedFigures, TrimOutcome } from '../../domain/ports';

/**
 * Journal table: the offline queues (docs/journal.md). One partition per queue.
 *
 * | item                 | pk                                    | sk                             | ord (index byOrder) |
 * |----------------------|---------------------------------------|--------------------------------|---------------------|
 * | pending record       | Q#{member_id}#{client_id}#{connector} | P#{MESSAGE_ID}                 | P#{ID, 16 digits}   |
 * | pending error record | same                                  | E#{MESSAGE_ID}                 | E#{ID, 16 digits}   |
 * | claimed record       | same                                  | C#{process_id}#{ID, 16 digits} | (none)              |
 * | claim lease          | same                                  | L#{P or E}#{first ID, 16 dig.} | (none)              |
 * | queue bookkeeping    | same                                  | S#queue                        | (none)              |
 *
 * The connector is URI-encoded in the key, so any string is safe there. A pending record's key
 * is its MESSAGE_ID, so a publish merges into it with one write; a claim (event.offline.get
 * with clear=0) moves the record to the process's key space, so a later write of the same
 * MESSAGE_ID creates a new pending record and never touches a claimed one.
 *
 * `byOrder` is a local secondary index (sort key `ord`, KEYS_ONLY) over pending records only:
 * it walks a queue's pending records in ID order, so a claim reads the head of the queue
 * instead of all of it (domain/pending-selection.ts). A local index, because its reads can be
 * strongly consistent (a claim never picks a record that is already gone) and a merge does
 * not touch it (`ord` never changes). Its limit: one queue holds at most 10 GB (about 30
 * million records of 300 B).
 *
 * Attributes: id (N, see domain/ids.ts), ts (unix ms of the last write), ev (EVENT_NAME),
 * data (EVENT_DATA as JSON text), add (EVENT_ADDITIONAL as JSON text), mid (MESSAGE_ID), ver (count
 * of writes, so a claim can tell that a record did not change since it was read); claimed
 * records also pid, err (it was an error record), exp (claim expiry, unix ms) and ttl (unix s,
 * DynamoDB TTL). Reads drop claims past `exp` even before TTL removes them. Event data is kept
 * as JSON text, not as a DynamoDB map: any JSON the producer sends (empty keys, deep nesting,
 * numbers beyond DynamoDB's range) round-trips exactly.
 * Invariant the claim order relies on: ts >= idTime(id) (a write's ts is never before the
 * allocation time of the record's ID; a merge from a writer whose clock is behind fails its
 * condition once and is written again at the record's ID time).
 *
 * Access patterns and cost as AWS bills them (items of ~300 B: 1 WRU per item write up to 1 KB,
 * plus 1 WRU when the write adds or removes an index entry; reads 0.5 RRU per 4 KB, doubled
 * when strongly consistent, each item fetched through the index rounded up to 4 KB):
 * - publish, new record: one UpdateItem on (queue, P#{MESSAGE_ID}) = 1 WRU + 1 index WRU.
 * - publish, merge: the same UpdateItem = 1 WRU (`if_not_exists` keeps ID and `ord`, so the
 *   index entry does not change); ReturnValues tells a merge from a new record.
 * - event.offline.get, finding candidates: Query on byOrder (strongly consistent, fetching
 *   the records) from the head of the queue, about `limit + 1` records: ~1 RRU per record; by
 *   MESSAGE_ID order, a Query of the table's P#/E# range. Orders the keys cannot serve
 *   (TIMESTAMP_X DESC, EVENT_NAME) read the whole pending range.
 * - event.offline.get, leases (default order or ID order, filters on ID only): a Query of the
 *   live leases (L#, strongly consistent, ~100 B each: 1 RRU for a few), a conditional PutItem
 *   of the call's lease (1 WRU; a lease lost to a parallel call costs 1 WRU and hands back the
 *   winner's range) and its DeleteItem when the call is done (1 WRU): 2 WRU per call, 0.04 per
 *   event in batches of 50.
 * - event.offline.get, while other calls hold leases: Query on byOrder for keys only (~140 B
 *   each: 1 RRU per ~29 keys), about `limit` per lease held plus its own, then the claim; with
 *   clear=0 a GetItem of each chosen record (1 RRU), as the move needs its body.
 * - event.offline.get, clear=1: one conditional DeleteItem per record (the claim is the
 *   delete; ReturnValues gives the record as it was) = 1 WRU + 1 index WRU.
 * - event.offline.get, clear=0: PutItem of the claimed copy (not indexed), then a DeleteItem of
 *   the pending record conditional on it being unchanged = 2 WRU + 1 index WRU; the later
 *   event.offline.clear deletes the copy = 1 WRU. The copy is written first, so a crash
 *   between the two leaves a record twice (delivered again), never lost. A caller that loses
 *   a race pays one failed conditional delete (1 WRU) and, with clear=0, one delete of its copy.
 * - queue figures in the get response: one Query of byOrder keys (eventually consistent, at
 *   most 1,000 keys of ~100 B: up to 12.5 RRU).
 * - event.offline.list: Query of the queue partition, filtered and ordered in memory.
 * - event.offline.error: PutItem E#… + DeleteItem of the claimed copy + deletes of the other
 *   non-error copies (a Query of the claimed range to find them).
 * - trim (at most once per JOURNAL_TRIM_INTERVAL_SECONDS per queue, after a write or a get):
 *   one conditional UpdateItem of S#queue (1 WRU) takes the turn; pending records past the
 *   retention are read from the head through byOrder (1 RRU each, only those whose ID is old
 *   enough); the kind's records are counted (Select COUNT on byOrder: 0.5 RRU per ~29 keys, so
 *   a queue at its 1,000,000-record default costs ~17,000 RRU per trim); each removal is a
 *   conditional DeleteItem (1 WRU + 1 index WRU); expired claimed copies are found with a
 *   Query of the C# range (their full size) and removed in batches. S#queue adds what was
 *   removed (1 WRU); the get reads it (GetItem, 0.5 RRU).
 * - uninstall: Query keys of the partition, BatchWriteItem deletes (1 WRU per record).
 *
 * Why the index, although it costs one more write unit per record (written once, removed
 * once): without it a claim must read every pending record to find the first ones in order,
 * so draining a backlog of N records in batches of 50 reads N²/100 records: at 100,000
 * pending records, 35 GB and some 18 MB per call. With it a claim reads about its own batch.
 */
export class JournalRepository implements JournalStore {
  private readonly writeSlots = new Slots(WRITES_IN_FLIGHT);

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly ids: IdGenerator,
    private readonly claimLifetimeMs = 30 * 24 * 3600 * 1000,
  ) {}

  async write(queue: QueueKey, writes: JournalWrite[], now: number): Promise<{ created: number; merged: number; failed?: JournalWriteFailure[] }> {
    const ids = await this.ids.next(writes.length, queuePk(queue));
    let created = 0;
    const failed: JournalWriteFailure[] = [];
    // Each write on its own: one refused (queue full, throttled after the SDK's retries) does not stop the others.
    // The writes of every request this process serves share WRITES_IN_FLIGHT slots, so concurrent
    // requests keep that many in flight between them instead of each waiting on its slowest round.
    await Promise.all(
      writes.map(async (write, index) => {
        await this.writeSlots.take();
        try {
          const made = await this.writeOne(queue, write, ids[index]!, now); // not `created += await …`: that reads `created` before the wait
          created += made;
        } catch (error) {
          failed.push({ messageId: write.messageId, error });
        } finally {
          this.writeSlots.give();
        }
      }),
    );
    return { created, merged: writes.length - created - failed.length, ...(failed.length > 0 ? { failed } : {}) };
  }

  /** One write: 1 when it created the record, 0 when it merged. */
  private async writeOne(queue: QueueKey, write: JournalWrite, id: number, now: number): Promise<number> {
    let ts = Math.max(now, idTime(id));
    for (;;) {
      try {
        const { Attributes } = await this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { pk: queuePk(queue), sk: `P#${write.messageId}` },
            UpdateExpression: 'SET ts = :ts, ev = :ev, #data = :data, #add = :add, mid = :mid, id = if_not_exists(id, :id), ord = if_not_exists(ord, :ord) ADD ver :one',
            // The invariant ts >= idTime(id): a record allocated after `ts` by a writer whose clock runs ahead.
            ConditionExpression: 'attribute_not_exists(id) OR id < :idBound',
            ExpressionAttributeNames: { '#data': 'data', '#add': 'add' },
            ExpressionAttributeValues: {
              ':ts': ts,
              ':ev': write.eventName,
              ':data': JSON.stringify(write.eventData ?? null),
              ':add': JSON.stringify(write.eventAdditional),
              ':mid': write.messageId,
              ':id': id,
              ':ord': orderKey(false, id),
              ':idBound': firstIdAfter(ts),
              ':one': 1,
            },
            ReturnValues: 'UPDATED_OLD',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return Attributes?.id === undefined ? 1 : 0;
      } catch (error) {
        const existing = error instanceof ConditionalCheckFailedException && error.Item ? unmarshall(error.Item) : undefined;
        if (typeof existing?.id !== 'number' || idTime(existing.id) <= ts) throw error;
        ts = idTime(existing.id);
      }
    }
  }

  async readAll(queue: QueueKey, now: number): Promise<JournalRecord[]> {
    return (await this.query(queue, '')).filter((r) => isRecord(r) && live(r, now)).map(recordFromItem);
  }

  async *pendingPages(queue: QueueKey, error: boolean, walk: PendingWalk, pageSize: () => number): AsyncIterable<JournalRecord[]> {
    const kind = error ? 'E' : 'P';
    const byId = walk.by === 'id';
    const from = byId ? orderKey(error, walk.fromId ?? 0) : `${kind}#`;
    const to = byId ? orderKey(error, walk.toId ?? MAX_ID) : `${kind}#\uffff`;
    const pages = paginateQuery(
      // The page size is asked for page by page: the selection grows it as it reads (domain/pending-selection.ts).
      {
        client: this.db,
        withCommand: (command) => {
          (command.input as QueryCommandInput).Limit = pageSize();
          return command;
        },
      },
      {
        TableName: this.table,
        ...(byId ? { IndexName: ORDER_INDEX, Select: 'ALL_ATTRIBUTES' as const } : {}),
        KeyConditionExpression: `pk = :pk AND ${byId ? 'ord' : 'sk'} BETWEEN :from AND :to`,
        ExpressionAttributeValues: { ':pk': queuePk(queue), ':from': from, ':to': to },
        ScanIndexForward: !walk.descending,
        ConsistentRead: true,
      },
    );
    for await (const page of pages) yield (page.Items ?? []).map(recordFromItem);
  }

  async pendingKeys(queue: QueueKey, error: boolean, walk: PendingWalk, count: number): Promise<ClaimCandidate[]> {
    const { Items } = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: ORDER_INDEX,
        KeyConditionExpression: 'pk = :pk AND ord BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': queuePk(queue), ':from': orderKey(error, walk.fromId ?? 0), ':to': orderKey(error, walk.toId ?? MAX_ID) },
        ScanIndexForward: !walk.descending,
        ConsistentRead: true,
        Limit: count,
      }),
    );
    return (Items ?? []).map((item) => ({ id: Number(String(item.ord).slice(2)), messageId: String(item.sk).slice(2), error }));
  }

  async pendingFigures(queue: QueueKey, error: boolean, cap: number): Promise<PendingFigures> {
    // The oldest key, then a count of at most cap + 1 keys (Select COUNT: the same read units as
    // reading the keys, without shipping and parsing up to a thousand items per call). No
    // ProjectionExpression: naming attributes makes DynamoDB Local fetch every item from the
    // table, 0.5 RRU each instead of 0.5 RRU per 4 KB of keys (measured: 116 RRU for 226 keys).
    const input = {
      TableName: this.table,
      IndexName: ORDER_INDEX,
      KeyConditionExpression: 'pk = :pk AND begins_with(ord, :kind)',
      ExpressionAttributeValues: { ':pk': queuePk(queue), ':kind': error ? 'E#' : 'P#' },
    };
    const { Items } = await this.db.send(new QueryCommand({ ...input, Limit: 1 }));
    const first = Items?.[0];
    if (!first) return { pending: 0, exact: true };
    let counted = 0;
    for await (const page of paginateQuery({ client: this.db, pageSize: cap + 1 }, { ...input, Select: 'COUNT' })) {
      counted += page.Count ?? 0;
      if (counted > cap) break;
    }
    return { pending: Math.min(counted, cap), exact: counted <= cap, oldestId: Number(String(first.ord).slice(2)) };
  }

  async claimLeases(queue: QueueKey, error: boolean, now: number): Promise<ClaimLease[]> {
    const { Items } = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': queuePk(queue), ':prefix': leasePrefix(error) },
        ConsistentRead: true,
      }),
    );
    return (Items ?? []).map(leaseFromItem).filter((l) => l.exp > now);
  }

  async takeLease(queue: QueueKey, error: boolean, lease: ClaimLease, now: number): Promise<ClaimLease | undefined> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: queuePk(queue), sk: leaseSk(error, lease.fromId), fromId: lease.fromId, toId: lease.toId, exp: lease.exp, ttl: Math.ceil(lease.exp / 1000) },
          ConditionExpression: 'attribute_not_exists(sk) OR #exp <= :now',
          ExpressionAttributeNames: { '#exp': 'exp' },
          ExpressionAttributeValues: { ':now': now },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return undefined;
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
      return e.Item ? leaseFromItem(unmarshall(e.Item)) : { ...lease };
    }
  }

  async releaseLease(queue: QueueKey, error: boolean, lease: ClaimLease): Promise<void> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { pk: queuePk(queue), sk: leaseSk(error, lease.fromId) },
          ConditionExpression: '#exp = :exp',
          ExpressionAttributeNames: { '#exp': 'exp' },
          ExpressionAttributeValues: { ':exp': lease.exp },
        }),
      );
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e; // expired and taken over: not ours to delete
    }
  }

  async claim(queue: QueueKey, batch: readonly (JournalRecord | ClaimCandidate)[], options: ClaimOptions): Promise<ClaimOutcome> {
    const results: (JournalRecord | undefined)[] = new Array(batch.length);
    let attempted = 0;
    let lost = false;
    await forEachLimited(batch, CLAIMS_IN_FLIGHT, async (candidate, i) => {
      if (lost && options.stopOnLoss) return;
      attempted++;
      results[i] = options.clear ? await this.claimByDelete(queue, candidate) : await this.claimByMove(queue, candidate, options);
      if (!results[i]) lost = true;
    });
    return { claimed: results.filter((r): r is JournalRecord => r !== undefined), attempted };
  }

  /** clear=1: whoever deletes the record has it; the delete returns it as it was. */
  private async claimByDelete(queue: QueueKey, candidate: JournalRecord | ClaimCandidate): Promise<JournalRecord | undefined> {
    try {
      const { Attributes } = await this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { pk: queuePk(queue), sk: pendingSk(candidate) },
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
  private async claimByMove(queue: QueueKey, candidate: JournalRecord | ClaimCandidate, options: ClaimOptions): Promise<JournalRecord | undefined> {
    // Known by its keys only: read the record itself (1 RRU), unless it is gone already.
    let current = 'eventName' in candidate ? candidate : await this.getPending(queue, candidate);
    if (!current) return undefined;
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
            // Unchanged since it was read: same record (id) and no write since (ver counts writes).
            ConditionExpression: 'id = :id AND ver = :ver',
            ExpressionAttributeValues: { ':id': current.id, ':ver': current.version ?? 0 },
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

  private async getPending(queue: QueueKey, candidate: ClaimCandidate): Promise<JournalRecord | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: queuePk(queue), sk: pendingSk(candidate) }, ConsistentRead: true }));
    return Item && Item.id === candidate.id ? recordFromItem(Item) : undefined;
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
      const pending: JournalRecord = { ...record, processId: '', error: true, timestamp: Math.max(now, idTime(record.id)) };
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

  /** Every item of the queue partition under `prefix`, page by page (1 MB pages). */
  private async query(queue: QueueKey, prefix: string, projection?: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.table,
        KeyConditionExpression: prefix ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk',
        ExpressionAttributeValues: { ':pk': queuePk(queue), ...(prefix ? { ':prefix': prefix } : {}) },
        ...(projection ? { ProjectionExpression: projection } : {}),
      },
    );
    for await (const page of pages) items.push(...(page.Items ?? []));
    return items;
  }

  private async deleteKeys(keys: { pk: string; sk: string }[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 25) await batchDelete(this.db, this.table, keys.slice(i, i + 25));
  }

  async trimDue(queue: QueueKey, now: number, intervalMs: number): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: queuePk(queue), sk: STATS_SK },
          UpdateExpression: 'SET trimmedAt = :now',
          ConditionExpression: 'attribute_not_exists(trimmedAt) OR trimmedAt <= :due',
          ExpressionAttributeValues: { ':now': now, ':due': now - intervalMs },
        }),
      );
      return true;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) return false;
      throw e;
    }
  }

  async trim(queue: QueueKey, limits: QueueLimits, now: number): Promise<TrimOutcome> {
    let expired = 0;
    let overflow = 0;
    for (const error of [false, true]) {
      expired += await this.removeExpired(queue, error, now - limits.retentionMs);
      overflow += await this.removeOverflow(queue, error, limits.maxRecords);
    }
    const claims = (await this.query(queue, 'C#')).filter((item) => !live(item, now)).map((item) => ({ pk: String(item.pk), sk: String(item.sk) }));
    await this.deleteKeys(claims);
    if (expired + overflow > 0) {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: queuePk(queue), sk: STATS_SK },
          UpdateExpression: 'ADD removedExpired :e, removedOverflow :o',
          ExpressionAttributeValues: { ':e': expired, ':o': overflow },
        }),
      );
    }
    return { expired, overflow, claimsExpired: claims.length };
  }

  async removedFigures(queue: QueueKey): Promise<RemovedFigures> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: queuePk(queue), sk: STATS_SK } }));
    return { expired: Number(Item?.removedExpired ?? 0), overflow: Number(Item?.removedOverflow ?? 0) };
  }

  /** Pending records of one kind last written before `before`: only IDs allocated before it can be (ts >= idTime(id)). */
  private async removeExpired(queue: QueueKey, error: boolean, before: number): Promise<number> {
    const lastId = firstIdAfter(before) - 1;
    if (lastId < 0) return 0;
    let removed = 0;
    for await (const page of this.pendingPages(queue, error, { by: 'id', descending: false, toId: lastId }, () => 200)) {
      const old = page.filter((r) => r.timestamp < before);
      await forEachLimited(old, CLAIMS_IN_FLIGHT, async (record) => {
        if (await this.removePending(queue, record, true)) removed++;
      });
    }
    return removed;
  }

  /** The oldest pending records of one kind beyond `max`. */
  private async removeOverflow(queue: QueueKey, error: boolean, max: number): Promise<number> {
    let count = 0;
    const input = {
      TableName: this.table,
      IndexName: ORDER_INDEX,
      KeyConditionExpression: 'pk = :pk AND begins_with(ord, :kind)',
      ExpressionAttributeValues: { ':pk': queuePk(queue), ':kind': error ? 'E#' : 'P#' },
      Select: 'COUNT' as const,
    };
    for await (const page of paginateQuery({ client: this.db }, input)) count += page.Count ?? 0;
    let excess = count - max;
    let removed = 0;
    while (excess > 0) {
      const oldest = await this.pendingKeys(queue, error, { by: 'id', descending: false }, Math.min(excess, 1000));
      if (oldest.length === 0) break;
      await forEachLimited(oldest, CLAIMS_IN_FLIGHT, async (candidate) => {
        if (await this.removePending(queue, candidate, false)) removed++;
      });
      excess -= oldest.length;
    }
    return removed;
  }

  /** Deletes a pending record if it is still the one read (same ID; with `unchanged`, no write since). */
  private async removePending(queue: QueueKey, record: JournalRecord | ClaimCandidate, unchanged: boolean): Promise<boolean> {
    const version = 'version' in record ? record.version : undefined;
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { pk: queuePk(queue), sk: pendingSk(record) },
          ConditionExpression: unchanged && version !== undefined ? 'id = :id AND ver = :ver' : 'id = :id',
          ExpressionAttributeValues: { ':id': record.id, ...(unchanged && version !== undefined ? { ':ver': version } : {}) },
        }),
      );
      return true;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) return false;
      throw e;
    }
  }

  async deleteQueue(queue: QueueKey): Promise<number> {
    const keys = (await this.query(queue, '', 'pk, sk')) as { pk: string; sk: string }[];
    await this.deleteKeys(keys);
    return keys.filter(isRecord).length;
  }
}

const ORDER_INDEX = 'byOrder';
/** The queue's bookkeeping item: when it was last trimmed and what trims removed. */
const STATS_SK = 'S#queue';
const CLAIMS_IN_FLIGHT = 16;
/** Journal writes in flight at once in this process, all publish requests together (a Lambda container serves one). */
const WRITES_IN_FLIGHT = 64;

/** A counting semaphore: at most `free` holders at once, the others wait in arrival order. */
class Slots {
  private readonly waiting: (() => void)[] = [];
  constructor(private free: number) {}

  async take(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  give(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}
const MAX_ID = Number.MAX_SAFE_INTEGER;

/** The byOrder index key of a pending record: its kind and its ID, sortable as text. */
const orderKey = (error: boolean, id: number): string => `${error ? 'E' : 'P'}#${String(id).padStart(16, '0')}`;

/** The smallest ID allocated after the 10 ms step that holds `ms`: IDs below it have idTime <= ms. */
const firstIdAfter = (ms: number): number => composeId(Math.floor((ms - ID_EPOCH_MS) / TICK_MS) + 1, 0, 0);

export function queuePk(queue: QueueKey): string {
  return `Q#${queue.memberId}#${queue.clientId}#${encodeURIComponent(queue.connector)}`;
}

/** A pending record's sort key (it has no process yet). */
const pendingSk = (candidate: ClaimCandidate): string => `${candidate.error ? 'E' : 'P'}#${candidate.messageId}`;

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
    ...(record.processId !== '' ? { pid: record.processId } : { ord: orderKey(record.error, record.id), ver: 1 }),
    ...(record.error ? { err: true } : {}),
  };
}

const leasePrefix = (error: boolean): string => `L#${error ? 'E' : 'P'}#`;
const leaseSk = (error: boolean, fromId: number): string => `${leasePrefix(error)}${String(fromId).padStart(16, '0')}`;
const leaseFromItem = (item: Record<string, unknown>): ClaimLease => ({ fromId: Number(item.fromId), toId: Number(item.toId), exp: Number(item.exp) });

/** Records live under P#, E# and C#; leases (L#) and other bookkeeping items are not records. */
const isRecord = (item: Record<string, unknown>): boolean => /^[PEC]#/.test(String(item.sk));

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
    ...(typeof item.ver === 'number' ? { version: item.ver } : {}),
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
