import { composeId, ID_EPOCH_MS, idTime, IdGenerator, type SlotLease, type SlotLeaser } from '../../../lambdas/domain/ids';

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

  it('waits for the next tick when 64 IDs were taken in one tick', async () => {
    let now = ID_EPOCH_MS + 1000;
    let slept = 0;
    const ids = new IdGenerator(new FakeLeaser([0], 3_600_000, () => now), () => now, async (ms) => {
      slept += ms;
      now += ms;
    });
    const batch = await ids.next(65);
    expect(slept).toBe(10);
    expect(batch[64]).toBe(composeId(101, 0, 0));
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
    const leaser = new FakeLeaser([1, 2], 30 * 60_000, () => now);
    const ids = new IdGenerator(leaser, () => now, async (ms) => void (now += ms));
    const a = await ids.next(3);
    expect(leaser.calls).toEqual([undefined]);
    now += 11 * 60_000; // 19 minutes left: under the 20-minute margin
    const b = await ids.next(3);
    expect(leaser.calls).toHaveLength(2);
    expect(leaser.calls[1]).toMatchObject({ slot: 1 });
    expect(new Set([...a, ...b]).size).toBe(6);
  });

  it('shares one lease request among concurrent callers', async () => {
    const now = ID_EPOCH_MS;
    const leaser = new FakeLeaser([9], 3_600_000, () => now);
    const ids = new IdGenerator(leaser, () => now, async () => undefined);
    const all = await Promise.all([ids.next(2), ids.next(2), ids.next(2)]);
    expect(leaser.calls).toHaveLength(1);
    expect(new Set(all.flat()).size).toBe(6);
  });
});
