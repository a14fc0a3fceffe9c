/**
 * Journal record IDs: integers that grow over time and are unique per queue, allocated
 * without any write per record (ARCHITECTURE.md, storage).
 *
 *   id = tick * 2^16 + slot * 2^6 + sequence
 *
 * - tick: 10 ms steps since 2025-01-01 UTC (37 bits: good until 2068),
 * - slot: 0..1023, leased by each writer process (one write per lease, not per record),
 * - sequence: 0..63 within one tick of one slot (6,400 ids/s per writer; past that it waits).
 *
 * The result stays below 2^53, so JavaScript clients that parse IDs as numbers stay exact.
 * Two writers never hold the same slot at once (the lease is a conditional write), so two
 * records never get the same ID; across writers IDs follow the clocks (NTP-close on AWS).
 */
export const ID_EPOCH_MS = Date.UTC(2025, 0, 1);
export const TICK_MS = 10;
export const SLOT_COUNT = 1024;
const SEQUENCE_COUNT = 64;

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

/** Leases are renewed when less than this remains: longer than a Lambda invocation can run. */
const RENEW_MARGIN_MS = 20 * 60 * 1000;

export class IdGenerator {
  private lease?: SlotLease;
  private leasing?: Promise<SlotLease>;
  private lastTick = -1;
  private sequence = 0;

  constructor(
    private readonly leaser: SlotLeaser,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** Allocates `count` IDs, in increasing order. */
  async next(count = 1): Promise<number[]> {
    const ids: number[] = [];
    while (ids.length < count) {
      const slot = await this.slot();
      const tick = Math.max(Math.floor((this.now() - ID_EPOCH_MS) / TICK_MS), this.lastTick);
      if (tick > this.lastTick) {
        this.lastTick = tick;
        this.sequence = 0;
      }
      if (this.sequence >= SEQUENCE_COUNT) {
        // This tick is used up (or the clock stepped back): wait for the next one.
        await this.sleep(TICK_MS);
        continue;
      }
      ids.push(composeId(this.lastTick, slot, this.sequence++));
    }
    return ids;
  }

  private async slot(): Promise<number> {
    if (this.lease && this.lease.validUntil - this.now() > RENEW_MARGIN_MS) return this.lease.slot;
    // One lease request at a time, shared by concurrent callers in this process.
    this.leasing ??= this.leaser.acquire(this.lease).finally(() => {
      this.leasing = undefined;
    });
    const lease = await this.leasing;
    if (this.lease && lease.slot !== this.lease.slot) {
      // A new slot: sequences restart in the new slot's own ID space.
      this.sequence = 0;
    }
    this.lease = lease;
    return lease.slot;
  }
}
