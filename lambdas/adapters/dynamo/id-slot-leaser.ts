import { randomInt, randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SLOT_COUNT, type SlotLease, type SlotLeaser } from '../../domain/ids';
import { KEY_PREFIXES } from './tables';

/**
 * Leases a journal-ID writer slot (see domain/ids.ts) in the registry table.
 *
 * Item: pk = IDSLOT#{n}, sk = IDSLOT, owner, validUntil (unix ms), ttl.
 * One conditional PutItem (1 WRU) per lease or renewal: once per process start and then
 * once every 40 minutes or so, never per record. A slot is taken only when it is free, expired,
 * or already ours, so two live writers never share one.
 */
export class DynamoSlotLeaser implements SlotLeaser {
  private readonly owner = randomUUID();

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly leaseMs = 60 * 60 * 1000,
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
    throw new Error('No free journal ID slot after 64 attempts');
  }
}
