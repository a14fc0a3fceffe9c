import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoSlotLeaser } from '../../lambdas/adapters/dynamo/id-slot-leaser';
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
});
