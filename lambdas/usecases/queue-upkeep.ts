import type { QueueKey } from '../domain/model';
import type { JournalStore, QueueLimits, TrimOutcome } from '../domain/ports';

/** The queues' retention and size limit (docs/journal.md, "Retention and queue size"), and how often a queue is trimmed. */
export interface QueueUpkeepSettings extends QueueLimits {
  /** A queue is trimmed at most once per this many ms (across every process). */
  intervalMs: number;
}

/** What a trim did, or why it failed: the entry logs it and counts it in metrics. */
export type UpkeepReport = (queue: QueueKey, outcome: TrimOutcome | { failed: unknown }) => void;

/** Queues this process remembers asking about; past it the memory starts over (a few extra turn requests, no harm). */
const MAX_REMEMBERED = 10_000;

/**
 * Keeps the offline queues within their retention and size limit. A queue grows only when it is
 * written, so publish calls `after` for each queue it wrote, and `event.offline.get` for the
 * queue it drained (which also removes claimed copies past their lifetime). Once per interval
 * per queue a process asks for the turn (one conditional write); the process that gets it
 * trims. A trim that fails is reported and never fails the call that triggered it: the records
 * are already written, and the next turn trims again.
 */
export class QueueUpkeep {
  private readonly asked = new Map<string, number>();
  report: UpkeepReport = () => undefined;

  constructor(
    private readonly journal: JournalStore,
    readonly settings: QueueUpkeepSettings,
  ) {}

  async after(queue: QueueKey, now: number): Promise<TrimOutcome | undefined> {
    const key = JSON.stringify([queue.memberId, queue.clientId, queue.connector]);
    const last = this.asked.get(key);
    if (last !== undefined && last > now - this.settings.intervalMs) return undefined;
    if (this.asked.size >= MAX_REMEMBERED) this.asked.clear();
    this.asked.set(key, now);
    try {
      if (!(await this.journal.trimDue(queue, now, this.settings.intervalMs))) return undefined;
      const outcome = await this.journal.trim(queue, this.settings, now);
      this.report(queue, outcome);
      return outcome;
    } catch (failed) {
      this.report(queue, { failed });
      return undefined;
    }
  }
}
