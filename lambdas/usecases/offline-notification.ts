import { forEachLimited } from '../domain/concurrency';
import { deliveryFor } from '../domain/delivery';
import type { Binding, Installation } from '../domain/model';
import {
  notificationData,
  OFFLINE_NOTIFICATION,
  throttleKey,
  trailingScheduleName,
  type JournaledChange,
  type TrailingNotification,
} from '../domain/offline-notification';
import type { BindingStore, DeliveryMessage, DeliveryQueue, JournalStore, NotificationScheduler, NotificationThrottle, RegistryStore } from '../domain/ports';

export interface NotificationDeps {
  registry: RegistryStore;
  bindings: BindingStore;
  journal: JournalStore;
  throttle: NotificationThrottle;
  scheduler: NotificationScheduler;
  deliveries: DeliveryQueue;
}

/** What one publish request journaled for one application. */
export interface ApplicationChange {
  change: JournaledChange;
  /** The user who caused the first journaled event (0 = none). */
  userId: number;
}

/**
 * After a publish request (docs/notifications.md): each ONOFFLINEEVENT binding of every application that
 * got journal records is considered once (domain/offline-notification.ts). Returns how many
 * notifications were queued now; trailing ones are scheduled.
 */
export async function considerNotifications(
  deps: NotificationDeps,
  memberId: string,
  changes: ReadonlyMap<string, ApplicationChange>,
  now: number,
  /** The portal's ONOFFLINEEVENT bindings when the caller read them already (publish reads them while it writes). */
  notificationBindings?: Promise<Binding[]>,
): Promise<number> {
  if (changes.size === 0) return 0;
  const bindings = (await (notificationBindings ?? deps.bindings.listByEvent(memberId, OFFLINE_NOTIFICATION))).filter((b) => !b.offline && changes.has(b.clientId));
  const messages: DeliveryMessage[] = [];
  const installations = new Map<string, Promise<Installation | undefined>>();
  await forEachLimited(bindings, 8, async (binding) => {
    const { change, userId } = changes.get(binding.clientId)!;
    const minTimeout = binding.options.minTimeout ?? 1;
    const key = throttleKey(binding);
    if (minTimeout === 0 || (await deps.throttle.tryLead(key, now, now + minTimeout * 1000))) {
      messages.push(await notification(deps, installations, binding, change, userId, false, now));
      return;
    }
    const windowEnd = await deps.throttle.tryTrail(key, now, change);
    if (windowEnd !== undefined) {
      const input: TrailingNotification = { memberId, clientId: binding.clientId, bindingId: binding.id, windowEnd };
      await deps.scheduler.scheduleAt(trailingScheduleName(binding, windowEnd), windowEnd, input);
    }
  });
  if (messages.length > 0) await deps.deliveries.enqueue(messages);
  return messages.length;
}

export type TrailingOutcome = 'sent' | 'no-pending-records' | 'superseded' | 'binding-gone';

/**
 * The notifier (what the schedule invokes at a window's end): announce the records written
 * inside the window, if the application still has pending records and no publish has opened
 * a new window meanwhile; sending opens the next window.
 */
export async function sendTrailingNotification(deps: Omit<NotificationDeps, 'scheduler'>, input: TrailingNotification, now: number): Promise<TrailingOutcome> {
  const binding = (await deps.bindings.listByApplication(input.memberId, input.clientId)).find((b) => b.id === input.bindingId && b.event === OFFLINE_NOTIFICATION);
  if (!binding) return 'binding-gone';
  const key = throttleKey(binding);
  const change = await deps.throttle.pendingTrailing(key, input.windowEnd);
  if (!change) return 'superseded';
  const installation = await deps.registry.getInstallation(input.memberId, input.clientId);
  if (!installation || !(await hasPendingRecords(deps.journal, installation))) {
    await deps.throttle.closeTrailing(key, input.windowEnd, 0);
    return 'no-pending-records';
  }
  const minTimeout = binding.options.minTimeout ?? 1;
  if (!(await deps.throttle.closeTrailing(key, input.windowEnd, now + minTimeout * 1000))) return 'superseded';
  const installations = new Map([[binding.clientId, Promise.resolve<Installation | undefined>(installation)]]);
  await deps.deliveries.enqueue([await notification(deps, installations, binding, change, 0, true, now)]);
  return 'sent';
}

async function hasPendingRecords(journal: JournalStore, installation: Installation): Promise<boolean> {
  for (const connector of installation.connectors) {
    const figures = await journal.pendingFigures({ memberId: installation.memberId, clientId: installation.clientId, connector }, false, 1);
    if (figures.pending > 0) return true;
  }
  return false;
}

/**
 * The notification as an online delivery. Its tokens (docs/notifications.md) are for the binding's
 * `auth_type` user, else the user who caused the records, else the installing administrator,
 * so the handler can call event.offline.get at once.
 */
async function notification(
  deps: Pick<NotificationDeps, 'registry'>,
  installations: Map<string, Promise<Installation | undefined>>,
  binding: Binding,
  change: JournaledChange,
  causedBy: number,
  delayed: boolean,
  now: number,
): Promise<DeliveryMessage> {
  let userId = binding.userId || causedBy;
  if (!userId) {
    let loading = installations.get(binding.clientId);
    if (!loading) {
      loading = deps.registry.getInstallation(binding.memberId, binding.clientId);
      installations.set(binding.clientId, loading);
    }
    userId = (await loading)?.installerUserId ?? 0;
  }
  return deliveryFor(binding, OFFLINE_NOTIFICATION, userId, notificationData(change, binding, delayed), Math.floor(now / 1000));
}
