import { composeId, ID_EPOCH_MS, idSlot, idTime, IdGenerator, LEASE_MS, SLOT_COUNT, type SlotLease, type SlotLeaser } from '../../../lambdas/domain/ids';
import { checkAllocations, simulateWriters } from '../../support/id-writers';
import { MemorySlotLeaser, type SlotTable } from '../../support/memory/slot-leaser';

class FakeLeaser implements SlotLeaser {
  calls: (SlotLease | undefined)[] = [];
  constructor(private readonly slots: number[], private readonly validFor: number, private readonly clock: () => number) {}
  async acquire(previous?: SlotLease): Promise<SlotLease> {
    this.calls.push(previous);
    return { slot: this.slots[Math.min(this.calls.length - 1, this.slots.length - 1)]!, validUntil: this.clock() + this.validFor };
  }
}

describe('IdGenerator', () => {
  it('allocates increasing, unique integers below 2^53 that carry their time', async () => {
    let now = Date.UTC(2026, 10, 23);
    const clock = () => now;
    const ids = new IdGenerator(new FakeLeaser([5], 3_600_000, clock), clock, async (ms) => void (now += ms));
    const batch = await ids.next(200);
    expect(new Set(batch).size).toBe(200);
    expect([...batch].sort((a, b) => a - b)).toEqual(batch);
    expect(batch.every((id) => Number.isSafeInteger(id))).toBe(true);
    expect(idTime(batch[0]!)).toBe(Date.UTC(2026, 10, 23));
  });

  it('counts sequences per queue: many queues get IDs in one tick, one busy queue runs ahead of the clock, then waits', async () => {
    let now = ID_EPOCH_MS + 1000; // tick 100
    let slept = 0;
    const ids = new IdGenerator(new FakeLeaser([0], LEASE_MS, () => now), () => now, async (ms) => {
      slept += ms;
      now += ms;
    });
    const fanOut = await Promise.all(Array.from({ length: 100 }, (_, q) => ids.next(1, `Q${q}`)));
    expect(fanOut.flat().every((id) => id === composeId(100, 0, 0))).toBe(true); // unique per queue, not across queues
    const busy = await ids.next(16 * 11 + 1, 'hot');
    expect(new Set(busy).size).toBe(busy.length);
    expect([...busy].sort((a, b) => a - b)).toEqual(busy);
    expect(busy[16]).toBe(composeId(101, 0, 0)); // the 17th moves on to the next tick without waiting
    expect(busy[16 * 11 - 1]).toBe(composeId(110, 0, 15)); // 10 ticks ahead of the clock: as far as it goes
    expect(slept).toBe(10); // then it waits one tick for the clock
    expect(busy[16 * 11]).toBe(composeId(111, 0, 0));
  });

  it('never goes backwards when the clock steps back', async () => {
    let now = ID_EPOCH_MS + 10_000;
    const ids = new IdGenerator(new FakeLeaser([3], 3_600_000, () => now), () => now, async (ms) => void (now += ms));
    const [first] = await ids.next();
    now -= 5000;
    const [second] = await ids.next();
    expect(second!).toBeGreaterThan(first!);
  });

  it('leases once, renews before the lease runs short, and keeps IDs unique across a slot change', async () => {
    let now = ID_EPOCH_MS;
    const leaser = new FakeLeaser([1, 2], LEASE_MS, () => now);
    const ids = new IdGenerator(leaser, () => now, async (ms) => void (now += ms));
    const a = await ids.next(3);
    expect(leaser.calls).toEqual([undefined]);
    now += 60_000;
    await ids.next(1);
    expect(leaser.calls).toHaveLength(1); // a minute left: no renewal yet
    now += 20_000; // 40 s left: under the 45 s margin
    const b = await ids.next(3);
    expect(leaser.calls).toHaveLength(2);
    expect(leaser.calls[1]).toMatchObject({ slot: 1 });
    expect(new Set([...a, ...b]).size).toBe(6);
    expect(b.every((id) => idSlot(id) === 2 && id > Math.max(...a))).toBe(true); // the new slot, still growing
  });

  it('shares one lease request among concurrent callers', async () => {
    const now = ID_EPOCH_MS;
    const leaser = new FakeLeaser([9], 3_600_000, () => now);
    const ids = new IdGenerator(leaser, () => now, async () => undefined);
    const all = await Promise.all([ids.next(2), ids.next(2), ids.next(2)]);
    expect(leaser.calls).toHaveLength(1);
    expect(new Set(all.flat()).size).toBe(6);
  });

  it('gives thousands of short-lived writers unique, time-ordered IDs per queue, without running out of slots', async () => {
    // 10,000 writers (Lambda containers) in bursts of 20 every second: 8 minutes, far more
    // writers than slots; none gives its slot back, as a recycled container never does.
    const table: SlotTable = new Map();
    const allocations = await simulateWriters({ writers: 10_000, burst: 20, everyMs: 1000, queues: 20, start: Date.UTC(2026, 0, 1) }, (clock) => new MemorySlotLeaser(table, clock));
    expect(allocations.length).toBeGreaterThan(10_000 * 6);
    expect(checkAllocations(allocations)).toEqual([]);
    expect(new Set(allocations.map((a) => idSlot(a.id))).size).toBeGreaterThan(SLOT_COUNT / 2); // slots were reused
  });

  it('answers QUERY_LIMIT_EXCEEDED, not a crash, when more writers are active at once than there are slots', async () => {
    const table: SlotTable = new Map();
    const now = Date.UTC(2026, 0, 1);
    for (let slot = 0; slot < SLOT_COUNT; slot++) table.set(slot, { owner: `w${slot}`, validUntil: now + LEASE_MS });
    const ids = new IdGenerator(new MemorySlotLeaser(table, () => now), () => now);
    await expect(ids.next(1)).rejects.toMatchObject({ code: 'QUERY_LIMIT_EXCEEDED' });
  });
});
