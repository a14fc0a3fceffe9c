import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoSlotLeaser } from '../../lambdas/adapters/dynamo/id-slot-leaser';
import { idSlot } from '../../lambdas/domain/ids';
import { checkAllocations, simulateWriters } from '../support/id-writers';
import { wiring } from '../support/wiring';

describe('DynamoSlotLeaser (DynamoDB Local)', () => {
  const table = () => wiring().config.TABLE_REGISTRY;

  it('gives live writers different slots and lets a writer renew its own', async () => {
    const leasers = Array.from({ length: 20 }, () => new DynamoSlotLeaser(wiring().db, table()));
    const leases = await Promise.all(leasers.map((l) => l.acquire()));
    expect(new Set(leases.map((l) => l.slot)).size).toBe(20);
    const renewed = await leasers[0]!.acquire(leases[0]);
    expect(renewed.slot).toBe(leases[0]!.slot);
    expect(renewed.validUntil).toBeGreaterThanOrEqual(leases[0]!.validUntil);
  });

  it('does not hand out a slot another writer holds, but takes over an expired one', async () => {
    let now = Date.now();
    const holder = new DynamoSlotLeaser(wiring().db, table(), 1000, () => now);
    const lease = await holder.acquire();
    const other = new DynamoSlotLeaser(wiring().db, table(), 1000, () => now);
    const attempt = await other.acquire(lease); // asks for the same slot first
    expect(attempt.slot).not.toBe(lease.slot);

    now += 5000; // the holder's lease has expired
    const takeover = await other.acquire(lease);
    expect(takeover.slot).toBe(lease.slot);
    const { Item } = await wiring().db.send(new GetCommand({ TableName: table(), Key: { pk: `IDSLOT#${lease.slot}`, sk: 'IDSLOT' } }));
    expect(Item?.validUntil).toBe(now + 1000);
  });

  it('gives 3,000 short-lived writers unique, time-ordered IDs per queue through real leases', async () => {
    // Simulated time in the past, so these leases are long expired for the other tests' writers (real clock).
    const allocations = await simulateWriters({ writers: 3000, burst: 30, everyMs: 1000, queues: 10, start: Date.UTC(2025, 5, 1) }, (clock) => new DynamoSlotLeaser(wiring().db, table(), undefined, clock));
    expect(allocations.length).toBeGreaterThan(3000 * 6);
    expect(checkAllocations(allocations)).toEqual([]);
    expect(new Set(allocations.map((a) => idSlot(a.id))).size).toBeGreaterThan(1000);
  }, 120_000);
});
