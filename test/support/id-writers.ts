import { ID_EPOCH_MS, idTime, IdGenerator, TICK_MS, type SlotLeaser } from '../../lambdas/domain/ids';

export interface WriterSimulation {
  /** Writers in all; they start in bursts of `burst` every `everyMs` of simulated time. */
  writers: number;
  burst: number;
  everyMs: number;
  queues: number;
  /** The simulated clock's start (unix ms). */
  start: number;
}

export interface Allocation {
  queue: string;
  id: number;
  /** Simulated unix ms of the allocation. */
  at: number;
  writer: number;
}

/**
 * Thousands of short-lived writers, as Lambda containers come and go: each starts, leases a
 * slot through its own leaser, allocates IDs for a few queues in three rounds over 60 ms
 * (its burst-mates in the same 10 ms steps), and is dropped without giving anything back.
 * Returns every allocation with its simulated time. `leaser(clock)` makes one writer's leaser.
 */
export async function simulateWriters(sim: WriterSimulation, leaser: (clock: () => number) => SlotLeaser): Promise<Allocation[]> {
  let now = sim.start;
  const clock = () => now;
  const sleep = async (ms: number) => void (now += ms);
  const allocations: Allocation[] = [];
  for (let first = 0; first < sim.writers; first += sim.burst) {
    const burst = Array.from({ length: Math.min(sim.burst, sim.writers - first) }, (_, i) => ({ n: first + i, ids: new IdGenerator(leaser(clock), clock, sleep) }));
    for (const round of [0, 1, 2]) {
      // All writers of the burst allocate in the same tick, concurrently (their leases too).
      await Promise.all(
        burst.map(async ({ n, ids }) => {
          for (const q of [n % sim.queues, (n * 7 + round) % sim.queues]) {
            const queue = `Q${q}`;
            const count = 1 + ((n + round) % 4);
            const at = now;
            for (const id of await ids.next(count, queue)) allocations.push({ queue, id, at, writer: n });
          }
        }),
      );
      now += 30;
    }
    now += sim.everyMs - 90;
  }
  return allocations;
}

/** Problems found: IDs shared within a queue, IDs out of time order within a queue, IDs not safe integers or not at their time. */
export function checkAllocations(allocations: Allocation[]): string[] {
  const problems: string[] = [];
  const byQueue = new Map<string, Allocation[]>();
  for (const a of allocations) {
    if (!Number.isSafeInteger(a.id)) problems.push(`unsafe id ${a.id}`);
    // The ID carries its time: at or after the allocation's 10 ms step, and only a few steps ahead (a busy queue runs ahead).
    const step = Math.floor((a.at - ID_EPOCH_MS) / TICK_MS) * TICK_MS + ID_EPOCH_MS;
    if (idTime(a.id) < step || idTime(a.id) > step + 10 * TICK_MS) problems.push(`id ${a.id} at ${a.at} carries time ${idTime(a.id)}`);
    const list = byQueue.get(a.queue) ?? [];
    list.push(a);
    byQueue.set(a.queue, list);
  }
  for (const [queue, list] of byQueue) {
    const seen = new Map<number, Allocation>();
    for (const a of list) {
      const other = seen.get(a.id);
      if (other) problems.push(`${queue}: id ${a.id} given to writers ${other.writer} and ${a.writer}`);
      seen.set(a.id, a);
    }
    // Time order: an allocation made in a later 10 ms step than another has a larger ID.
    const sorted = [...list].sort((a, b) => a.at - b.at);
    let maxBefore = -1; // the largest ID of the steps before the current one
    let maxInStep = -1;
    let step = -1;
    for (const a of sorted) {
      const aStep = Math.floor(a.at / TICK_MS);
      if (aStep !== step) {
        maxBefore = Math.max(maxBefore, maxInStep);
        maxInStep = -1;
        step = aStep;
      }
      if (a.id <= maxBefore) problems.push(`${queue}: id ${a.id} at ${a.at} is not above an earlier step's id ${maxBefore}`);
      maxInStep = Math.max(maxInStep, a.id);
    }
  }
  return problems;
}
