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
}

/**
 * Journals writes into offline queues, the one way every journaling path does it (publish for
 * offline bindings, the delivery worker for a push that fell back to pull, docs/delivery.md):
 * each queue's writes merge per MESSAGE_ID into its pending records. The caller then announces
 * `changes` with considerNotifications (docs/notifications.md).
 */
export async function journalQueues(journal: JournalStore, queues: readonly QueueWrites[], now: number): Promise<JournaledQueues> {
  let created = 0;
  let merged = 0;
  const changes = new Map<string, ApplicationChange>();
  await forEachLimited([...queues], 4, async ({ queue, writes, userId }) => {
    const result = await journal.write(queue, [...writes], now);
    created += result.created;
    merged += result.merged;
    const [first] = writes;
    if (first && !changes.has(queue.clientId)) changes.set(queue.clientId, { change: { event: first.eventName, type: result.created > 0 ? 'add' : 'update' }, userId });
  });
  return { created, merged, changes };
}
