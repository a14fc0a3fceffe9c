/**
 * Journal record IDs: integers that grow over time and are unique per queue, allocated
 * without any write per record (ARCHITECTURE.md, storage; docs/journal.md "Record IDs").
 *
 *   id = tick * 2^16 + slot * 2^4 + sequence
 *
 * - tick: 10 ms steps since 2025-01-01 UTC (37 bits: good until 2068),
 * - slot: 0..4095, the writer part: a writer process leases one for LEASE_MS and renews it
 *   while it writes (one conditional write per lease or renewal, never per record). A writer
 *   that dies (a recycled Lambda container, a deploy, a restart) holds its slot at most
 *   LEASE_MS more; then any writer may take it. So the slots bound the writers active at
 *   one time (4,096 within any 2 minutes), never the writers over time.
 * - sequence: 0..15 within one tick of one slot, counted per queue: IDs need only be unique
 *   within a queue, so a writer fanning out to many queues spends one sequence per queue.
 *   A writer that takes all 16 of a tick for one queue moves that queue on to the next tick,
 *   up to MAX_AHEAD_TICKS ahead of its clock; past that it waits (1,600 IDs/s per queue and
 *   writer sustained, above DynamoDB's ~500 new records/s for one queue's partition).
 *
 * The result stays below 2^53, so JavaScript clients that parse IDs as numbers stay exact.
 * Why no two records of a queue share an ID: two writers never hold the same slot for the
 * same tick. A writer mints a tick only while its lease has more than RENEW_MARGIN_MS left
 * (ticks run at most MAX_AHEAD_TICKS ahead of its clock); a slot passes to another writer only
 * after the lease ran out by that writer's clock. Clocks may disagree by up to
 * RENEW_MARGIN_MS - (MAX_AHEAD_TICKS + 1) * TICK_MS (about 44 s) without a duplicate. Across
 * writers, IDs follow the clocks (NTP-close on AWS) to the 10 ms step.
 */
export const ID_EPOCH_MS = Date.UTC(2025, 0, 1);
export const TICK_MS = 10;
export const SLOT_COUNT = 4096;
const SEQUENCE_COUNT = 16;
/** A slot's lease: a writer silent for this long gives its slot back. */
export const LEASE_MS = 2 * 60 * 1000;
/** Leases are renewed when less than this remains; also the clock skew the scheme tolerates. */
export const RENEW_MARGIN_MS = 45 * 1000;
/** How far a busy queue's IDs may run ahead of the writer's clock (10 ticks = 100 ms). */
export const MAX_AHEAD_TICKS = 10;

export interface SlotLease {
  slot: number;
  /** Unix ms after which the slot may be taken by another writer. */
  validUntil: number;
}

/** Port: leases a writer slot (the adapter is a conditional write in DynamoDB). */
export interface SlotLeaser {
  acquire(previous?: SlotLease): Promise<SlotLease>;
}

export function composeId(tick: number, slot: number, sequence: number): number {
  return tick * 65536 + slot * SEQUENCE_COUNT + sequence;
}

/** The unix ms at which an ID was allocated (to a 10 ms step). */
export function idTime(id: number): number {
  return Math.floor(id / 65536) * TICK_MS + ID_EPOCH_MS;
}

/** The writer part of an ID. */
export function idSlot(id: number): number {
  return Math.floor((id % 65536) / SEQUENCE_COUNT);
}

/** Per-queue cursors kept before the ones behind the clock are dropped (a dropped one restarts at the clock's tick). */
const MAX_CURSORS = 4096;

export class IdGenerator {
  private lease?: SlotLease;
  private leasing?: Promise<SlotLease>;
  /** Per queue: the last tick used and the next sequence in it. */
  private readonly cursors = new Map<string, { tick: number; sequence: number }>();
  /** The highest tick handed out: the clock stepping back never takes a queue below it. */
  private lastTick = -1;

  constructor(
    private readonly leaser: SlotLeaser,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** Allocates `count` IDs for one queue (`scope`), in increasing order. */
  async next(count = 1, scope = ''): Promise<number[]> {
    const ids: number[] = [];
    while (ids.length < count) {
      const slot = await this.slot();
      const clockTick = Math.max(Math.floor((this.now() - ID_EPOCH_MS) / TICK_MS), this.lastTick);
      const cursor = this.cursor(scope, clockTick);
      if (cursor.sequence >= SEQUENCE_COUNT) {
        if (cursor.tick - clockTick >= MAX_AHEAD_TICKS) {
          await this.sleep(TICK_MS); // this queue is as far ahead of the clock as it may go
          continue;
        }
        cursor.tick++;
        cursor.sequence = 0;
      }
      ids.push(composeId(cursor.tick, slot, cursor.sequence++));
      this.lastTick = Math.max(this.lastTick, clockTick);
    }
    return ids;
  }

  private cursor(scope: string, clockTick: number): { tick: number; sequence: number } {
    let cursor = this.cursors.get(scope);
    if (cursor && cursor.tick < clockTick) {
      cursor.tick = clockTick;
      cursor.sequence = 0;
    }
    if (!cursor) {
      // Cursors behind the clock hold nothing a new allocation needs (one ahead of it must stay,
      // or its queue would get the same IDs again).
      if (this.cursors.size >= MAX_CURSORS) for (const [key, c] of this.cursors) if (c.tick < clockTick) this.cursors.delete(key);
      cursor = { tick: clockTick, sequence: 0 };
      this.cursors.set(scope, cursor);
    }
    return cursor;
  }

  private async slot(): Promise<number> {
    if (this.lease && this.lease.validUntil - this.now() > RENEW_MARGIN_MS) return this.lease.slot;
    // One lease request at a time, shared by concurrent callers in this process.
    this.leasing ??= this.leaser.acquire(this.lease).finally(() => {
      this.leasing = undefined;
    });
    const lease = await this.leasing;
    if (this.lease && lease.slot !== this.lease.slot) {
      // A new slot: its ID space is fresh, but each queue moves on a tick so that this
      // writer's IDs keep growing.
      for (const c of this.cursors.values()) {
        c.tick++;
        c.sequence = 0;
      }
    }
    this.lease = lease;
    return lease.slot;
  }
}
