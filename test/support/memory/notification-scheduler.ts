import type { TrailingNotification } from '../../../lambdas/domain/offline-notification';
import type { NotificationScheduler } from '../../../lambdas/domain/ports';

export interface Schedule {
  name: string;
  at: number;
  input: TrailingNotification;
}

/**
 * NotificationScheduler in memory: one schedule per name (a second one of the same name is
 * ignored, as EventBridge Scheduler's conflict and the local store's conditional put make
 * it). `due` takes the schedules whose time has come, as the local scheduler does before
 * invoking the notifier.
 */
export class MemoryNotificationScheduler implements NotificationScheduler {
  readonly schedules = new Map<string, Schedule>();

  async scheduleAt(name: string, at: number, input: TrailingNotification): Promise<void> {
    if (!this.schedules.has(name)) this.schedules.set(name, { name, at, input: { ...input } });
  }

  /** Removes and returns the schedules due at `now`, earliest first. */
  due(now: number): Schedule[] {
    const due = [...this.schedules.values()].filter((s) => s.at <= now).sort((a, b) => a.at - b.at);
    for (const s of due) this.schedules.delete(s.name);
    return due;
  }
}
