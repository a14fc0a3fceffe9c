import { randomInt, randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { errors } from '../../domain/errors';
import { LEASE_MS, SLOT_COUNT, type SlotLease, type SlotLeaser } from '../../domain/ids';
import { KEY_PREFIXES } from './tables';

/**
 * Leases a journal-ID writer slot (see domain/ids.ts) in the registry table.
 *
 * Item: pk = IDSLOT#{n}, sk = IDSLOT, owner, validUntil (unix ms), ttl.
 * One conditional PutItem (1 WRU) per lease or renewal: once when a writer starts writing and
 * then about every 75 s while it keeps writing, never per record. A slot is taken only
 * when it is free, expired, or already ours, so two live writers never share one; a writer
 * that goes away gives its slot back by not renewing it (LEASE_MS, 2 minutes). When 64 random
 * tries find no free slot (more than ~4,000 writers active within 2 minutes), the publish is
 * answered 503 QUERY_LIMIT_EXCEEDED, which producers retry (docs/limits.md).
 */
export class DynamoSlotLeaser implements SlotLeaser {
  private readonly owner = randomUUID();

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly leaseMs = LEASE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  async acquire(previous?: SlotLease): Promise<SlotLease> {
    const candidates = previous ? [previous.slot] : [];
    for (let attempt = 0; attempt < 64; attempt++) {
      const slot = candidates[attempt] ?? randomInt(SLOT_COUNT);
      const now = this.now();
      const validUntil = now + this.leaseMs;
      try {
        await this.db.send(
          new PutCommand({
            TableName: this.table,
            Item: { pk: `${KEY_PREFIXES.registry.idSlot}${slot}`, sk: 'IDSLOT', owner: this.owner, validUntil, ttl: Math.ceil(validUntil / 1000) + 86400 },
            ConditionExpression: 'attribute_not_exists(pk) OR #owner = :me OR validUntil < :now',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':me': this.owner, ':now': now },
          }),
        );
        return { slot, validUntil };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    throw errors.busy(`No free journal ID writer slot after 64 tries: more than ${SLOT_COUNT} writers active within ${this.leaseMs / 60000} minutes`);
  }
}
