import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, paginateQuery, PutCommand, UpdateCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { NewBinding } from '../../domain/bindings';
import { errors } from '../../domain/errors';
import type { Binding } from '../../domain/model';
import type { BindingStore } from '../../domain/ports';

/**
 * Bindings table.
 *
 * | item     | pk                 | sk                                          | GSI byApplication           |
 * |----------|--------------------|---------------------------------------------|-----------------------------|
 * | binding  | PORTAL#{member_id} | EV#{EVENT}#APP#{client_id}#{identity hash}  | app = {member_id}#{client_id}, bid = id |
 * | counter  | PORTAL#{member_id} | COUNTER                                     | –                           |
 *
 * The identity hash is SHA-256 of (offline, handler, user, connector): with the event and the
 * application in the key, a conditional put enforces docs/rest-api.md's uniqueness with no extra read.
 *
 * Access patterns and cost:
 * - publish fan-out, bindings of (portal, event): Query pk, begins_with(sk, EV#{EVENT}#),
 *   0.5 RRU per 4 KB read.
 * - event.get, an application's bindings in creation order: Query GSI app, ascending bid.
 * - event.bind: UpdateItem counter (1 WRU) + conditional PutItem (1 WRU + 1 WRU for the GSI).
 * - event.unbind: Query pk with begins_with(sk, EV#{EVENT}#APP#{client_id}#), then DeleteItem
 *   per match (1 WRU + 1 for the GSI).
 */
export class BindingRepository implements BindingStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async create(binding: NewBinding, now: number): Promise<Binding> {
    const { Attributes } = await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: `PORTAL#${binding.memberId}`, sk: 'COUNTER' },
        UpdateExpression: 'ADD lastId :one',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const stored: Binding = { ...binding, id: Attributes!.lastId as number, createdAt: now };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: toItem(stored),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw errors.handlerAlreadyBound();
      throw error;
    }
    return stored;
  }

  async listByEvent(memberId: string, event: string): Promise<Binding[]> {
    const bindings = await this.query({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': `PORTAL#${memberId}`, ':prefix': `EV#${event}#` },
    });
    // Key order follows the identity hash; creation order makes fan-out deterministic.
    return bindings.sort((a, b) => a.id - b.id);
  }

  async listByApplication(memberId: string, clientId: string): Promise<Binding[]> {
    return this.query({
      IndexName: 'byApplication',
      KeyConditionExpression: 'app = :app',
      ExpressionAttributeValues: { ':app': `${memberId}#${clientId}` },
    });
  }

  async delete(binding: Binding): Promise<void> {
    const { pk, sk } = toItem(binding);
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk, sk } }));
  }

  /** Every binding a Query matches, page by page (1 MB pages). */
  private async query(input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>): Promise<Binding[]> {
    const bindings: Binding[] = [];
    for await (const page of paginateQuery({ client: this.db }, { ...input, TableName: this.table })) bindings.push(...(page.Items ?? []).map(fromItem));
    return bindings;
  }
}

function identityHash(b: NewBinding): string {
  return createHash('sha256')
    .update(JSON.stringify([b.offline, b.handler, b.userId, b.connector]))
    .digest('hex')
    .slice(0, 32);
}

function toItem(b: Binding): Record<string, unknown> & { pk: string; sk: string } {
  return {
    pk: `PORTAL#${b.memberId}`,
    sk: `EV#${b.event}#APP#${b.clientId}#${identityHash(b)}`,
    app: `${b.memberId}#${b.clientId}`,
    bid: b.id,
    memberId: b.memberId,
    clientId: b.clientId,
    event: b.event,
    offline: b.offline,
    handler: b.handler,
    userId: b.userId,
    connector: b.connector,
    options: b.options,
    createdAt: b.createdAt,
  };
}

function fromItem(item: Record<string, unknown>): Binding {
  return {
    memberId: item.memberId as string,
    clientId: item.clientId as string,
    id: item.bid as number,
    event: item.event as string,
    offline: item.offline as boolean,
    handler: item.handler as string,
    userId: item.userId as number,
    connector: item.connector as string,
    options: (item.options as Binding['options']) ?? {},
    createdAt: item.createdAt as number,
  };
}
