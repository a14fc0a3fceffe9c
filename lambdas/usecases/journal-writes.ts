import { forEachLimited } from '../domain/concurrency';
import type { QueueKey } from '../domain/model';
import type { JournalStore, JournalWrite } from '../domain/ports';
import type { ApplicationChange } from './offline-notification';

/** The writes one request makes to one offline queue, and the user who caused the first. */
export interface QueueWrites {
  queue: QueueKey;
  writes: readonly JournalWrite[];
  userId: number;
}

export interface JournaledQueues {
  created: number;
  merged: number;
  /** Per application that got records: what to announce (considerNotifications takes it). */
  changes: Map<string, ApplicationChange>;
  /** Writes that did not happen: `at` is the queue's index in the input, with the store's error. */
  failed: { at: number; messageId: string; error: unknown }[];
}

/** Keeps a written queue within its retention and size limit (usecases/queue-upkeep.ts). */
export interface QueueUpkeepHook {
  after(queue: QueueKey, now: number): Promise<unknown>;
}

/**
 * Journals writes into offline queues, the one way every journaling path does it (publish for
 * offline bindings, the delivery worker for a push that fell back to pull, docs/delivery.md):
 * each queue's writes merge per MESSAGE_ID into its pending records. Each queue and write stands
 * on its own: one that fails (a full or throttled queue) is listed in `failed` and the others are
 * written (docs/producer.md, "Partial failures"). The caller then announces `changes` with
 * considerNotifications (docs/notifications.md).
 */
export async function journalQueues(journal: JournalStore, queues: readonly QueueWrites[], now: number, upkeep?: QueueUpkeepHook): Promise<JournaledQueues> {
  let created = 0;
  let merged = 0;
  const changes = new Map<string, ApplicationChange>();
  const failed: JournaledQueues['failed'] = [];
  await forEachLimited(queues.map((q, at) => ({ ...q, at })), 4, async ({ queue, writes, userId, at }) => {
    let result: Awaited<ReturnType<JournalStore['write']>>;
    try {
      result = await journal.write(queue, [...writes], now);
    } catch (error) {
      result = { created: 0, merged: 0, failed: writes.map(({ messageId }) => ({ messageId, error })) };
    }
    created += result.created;
    merged += result.merged;
    if (result.created > 0) await upkeep?.after(queue, now);
    const lost = new Set<string>();
    for (const f of result.failed ?? []) {
      lost.add(f.messageId);
      failed.push({ at, messageId: f.messageId, error: f.error });
    }
    const first = writes.find((w) => !lost.has(w.messageId));
    if (first && !changes.has(queue.clientId)) changes.set(queue.clientId, { change: { event: first.eventName, type: result.created > 0 ? 'add' : 'update' }, userId });
  });
  return { created, merged, changes, failed };
}
