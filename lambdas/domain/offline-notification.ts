import { createHash } from 'node:crypto';
import type { Binding } from './model';

/**
 * ONOFFLINEEVENT (docs/notifications.md): "new offline records are waiting", sent to the application's
 * ONOFFLINEEVENT bindings as an online event, at most once per `minTimeout` seconds per
 * binding, and never lost: records written inside a window are announced by one trailing
 * notification at the window's end.
 *
 * Per binding a throttle row holds `windowEnd` (unix ms until which no leading notification
 * goes out) and whether a trailing one is scheduled. A publish that journaled records:
 * - minTimeout 0: notifies at once (one notification per publish request);
 * - else, past the window: a conditional write opens a new window and notifies at once (of
 *   concurrent publishers exactly one wins);
 * - else, inside the window: a conditional write marks the trailing notification (again one
 *   winner), which is scheduled for `windowEnd` under an idempotent name.
 * When the schedule fires, the notifier sends only if the application still has pending
 * records and the row still describes that window; sending opens the next window.
 */
export const OFFLINE_NOTIFICATION = 'ONOFFLINEEVENT';

/** What a publish journaled for one application: the first record's event and whether it was new. */
export interface JournaledChange {
  event: string;
  type: 'add' | 'update';
}

export interface NotificationData {
  type: JournaledChange['type'];
  event: string;
  handler: string;
  /** Only for a delayed (trailing) notification. */
  minTimeout?: number;
}

export function notificationData(change: JournaledChange, binding: Binding, delayed: boolean): NotificationData {
  return {
    type: change.type,
    event: change.event,
    handler: binding.handler,
    ...(delayed ? { minTimeout: binding.options.minTimeout ?? 1 } : {}),
  };
}

/** The throttle row's key: one per binding. */
export const throttleKey = (binding: Pick<Binding, 'memberId' | 'id'>): string => `${binding.memberId}#${binding.id}`;

/**
 * The trailing schedule's name: the same binding and window always give the same name, so a
 * second attempt to schedule it is a harmless conflict. EventBridge Scheduler names are at
 * most 64 characters of [0-9a-zA-Z-_.].
 */
export function trailingScheduleName(binding: Pick<Binding, 'memberId' | 'id'>, windowEnd: number): string {
  const digest = createHash('sha256').update(throttleKey(binding)).digest('hex').slice(0, 24);
  return `onoffline-${digest}-${windowEnd}`;
}

/** What the scheduler hands the notifier when a trailing notification is due. */
export interface TrailingNotification {
  memberId: string;
  clientId: string;
  bindingId: number;
  windowEnd: number;
}
