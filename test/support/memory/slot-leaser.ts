import { randomInt, randomUUID } from 'node:crypto';
import { errors } from '../../../lambdas/domain/errors';
import { LEASE_MS, SLOT_COUNT, type SlotLease, type SlotLeaser } from '../../../lambdas/domain/ids';
import type { Clock } from './clock';

/** The leases of one table: slot → holder and expiry (what DynamoSlotLeaser keeps in `IDSLOT#n` items). */
export type SlotTable = Map<number, { owner: string; validUntil: number }>;

/**
 * SlotLeaser in memory, as adapters/dynamo/id-slot-leaser.ts behaves: each writer is one
 * leaser with its own owner id; a slot is taken when free, expired by the taker's clock, or
 * already the taker's; 64 random tries (the previous slot first), then QUERY_LIMIT_EXCEEDED.
 * Writers share one `SlotTable`, as DynamoDB writers share the registry table.
 */
export class MemorySlotLeaser implements SlotLeaser {
  private readonly owner = randomUUID();

  constructor(
    private readonly table: SlotTable,
    private readonly clock: Clock,
    private readonly leaseMs = LEASE_MS,
  ) {}

  async acquire(previous?: SlotLease): Promise<SlotLease> {
    for (let attempt = 0; attempt < 64; attempt++) {
      const slot = attempt === 0 && previous ? previous.slot : randomInt(SLOT_COUNT);
      const now = this.clock();
      const held = this.table.get(slot);
      if (held && held.owner !== this.owner && held.validUntil >= now) continue;
      const validUntil = now + this.leaseMs;
      this.table.set(slot, { owner: this.owner, validUntil });
      return { slot, validUntil };
    }
    throw errors.busy(`No free journal ID writer slot after 64 tries: more than ${SLOT_COUNT} writers active within ${this.leaseMs / 60000} minutes`);
  }
}
