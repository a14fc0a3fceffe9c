import type { JournaledChange } from '../../../lambdas/domain/offline-notification';
import type { NotificationThrottle } from '../../../lambdas/domain/ports';

interface Row {
  windowEnd: number;
  trail: boolean;
  change?: JournaledChange;
}

/**
 * NotificationThrottle in memory, with the conditions of
 * adapters/dynamo/notification-throttle-repository.ts:
 * - tryLead: no row, or its window ended (`windowEnd <= now`) → new window, no trailing mark;
 * - tryTrail: window open (`windowEnd > now`) and not yet marked → mark, keep the change,
 *   return the window's end;
 * - pendingTrailing: the change, while the row is marked for that very window;
 * - closeTrailing: marked for that window → unmark and move the window to `nextWindowEnd`
 *   (0 keeps the old end).
 */
export class MemoryNotificationThrottle implements NotificationThrottle {
  readonly rows = new Map<string, Row>();

  async tryLead(key: string, now: number, windowEnd: number): Promise<boolean> {
    const row = this.rows.get(key);
    if (row && row.windowEnd > now) return false;
    this.rows.set(key, { ...row, windowEnd, trail: false });
    return true;
  }

  async tryTrail(key: string, now: number, change: JournaledChange): Promise<number | undefined> {
    const row = this.rows.get(key);
    if (!row || !(row.windowEnd > now) || row.trail) return undefined;
    this.rows.set(key, { windowEnd: row.windowEnd, trail: true, change: { ...change } });
    return row.windowEnd;
  }

  async pendingTrailing(key: string, windowEnd: number): Promise<JournaledChange | undefined> {
    const row = this.rows.get(key);
    if (!row || row.windowEnd !== windowEnd || !row.trail || !row.change) return undefined;
    return { ...row.change };
  }

  async closeTrailing(key: string, windowEnd: number, nextWindowEnd: number): Promise<boolean> {
    const row = this.rows.get(key);
    if (!row || row.windowEnd !== windowEnd || !row.trail) return false;
    this.rows.set(key, { ...row, windowEnd: nextWindowEnd || windowEnd, trail: false });
    return true;
  }
}
