import type { EventCatalog } from '../domain/catalog';
import { forEachLimited } from '../domain/concurrency';
import { deliveryFor } from '../domain/delivery';
import { errors } from '../domain/errors';
import { messageIdOf } from '../domain/journal';
import type { Binding, QueueKey } from '../domain/model';
import { journalQueues } from './journal-writes';
import { considerNotifications, type NotificationDeps } from './offline-notification';
import type { BindingStore, DeliveryMessage, DeliveryQueue, JournalStore, JournalWrite, RegistryStore } from '../domain/ports';

export interface PublishedEvent {
  event: string;
  data: unknown;
  messageId?: string;
  /** The user who caused the event; 0 or absent = no user (automation). */
  userId?: number;
  initiator?: { clientId: string; connector: string };
}

export interface PublishRequest {
  memberId: string;
  events: PublishedEvent[];
}

export interface PublishResult {
  deliveries_queued: number;
  /** ONOFFLINEEVENT notifications queued now (trailing ones are scheduled, not counted). */
  notifications_queued: number;
  records_created: number;
  records_merged: number;
  records_suppressed: number;
}

/**
 * The most deliveries plus journal writes one publish request may make. With the concurrency
 * bounds below (8 binding reads, 4 journal queues, 16 SQS batches of 10 in flight) this many
 * complete in a few seconds, well inside publish's 15 s timeout and the HTTP API's 30 s
 * (docs/operations.md "Publish's bounds"). A request over it writes nothing: the producer
 * sends fewer events per request.
 */
export const MAX_FANOUT_PER_PUBLISH = 5000;

export interface PublishDeps extends NotificationDeps {
  registry: RegistryStore;
  bindings: BindingStore;
  journal: JournalStore;
  deliveries: DeliveryQueue;
  catalog: EventCatalog;
  /** Overrides MAX_FANOUT_PER_PUBLISH (tests). */
  maxFanOut?: number;
}

/**
 * The producer's publish (docs/producer.md).
 * 1. Check the whole request first (portal known, every event in the catalog), so a bad
 *    request writes nothing.
 * 2. Read the bindings of each distinct event once.
 * 3. Online binding → one delivery message. Offline binding → one journal write for its queue,
 *    unless the initiator is that application through that connector (it caused the change).
 * 4. Within one request, later writes of the same object win: one write per (queue, MESSAGE_ID).
 *    Over MAX_FANOUT_PER_PUBLISH deliveries and writes, refuse the request before writing.
 * 5. Write the journal queues, then queue the deliveries.
 * 6. Consider the ONOFFLINEEVENT bindings of each application that got records (docs/notifications.md).
 */
export async function publish(deps: PublishDeps, request: PublishRequest, now: number): Promise<PublishResult> {
  const portal = await deps.registry.getPortal(request.memberId);
  if (!portal) throw errors.argument('MEMBER_ID', `Unknown portal ${request.memberId}`);
  const events = request.events.map((e) => ({ ...e, event: e.event.toUpperCase() }));
  events.forEach((e, i) => {
    if (deps.catalog.scopeOf(e.event) === undefined) {
      throw errors.argument(`EVENTS[${i}].EVENT`, `Event ${e.event} is not in the event catalog`);
    }
  });

  const names = [...new Set(events.map((e) => e.event))];
  const bindingsByEvent = new Map<string, Binding[]>();
  await forEachLimited(names, 8, async (name) => {
    bindingsByEvent.set(name, await deps.bindings.listByEvent(request.memberId, name));
  });

  const ts = Math.floor(now / 1000);
  const deliveries: DeliveryMessage[] = [];
  const queues = new Map<string, { queue: QueueKey; writes: Map<string, JournalWrite>; userId: number }>();
  let suppressed = 0;
  let superseded = 0;

  for (const e of events) {
    let messageId: string | undefined; // md5 of the data: computed once per event, only if journaled
    for (const binding of bindingsByEvent.get(e.event) ?? []) {
      if (!binding.offline) {
        deliveries.push(deliveryFor(binding, e.event, binding.userId !== 0 ? binding.userId : (e.userId ?? 0), e.data, ts));
        continue;
      }
      if (e.initiator && e.initiator.clientId === binding.clientId && e.initiator.connector === binding.connector) {
        suppressed++;
        continue;
      }
      const queue: QueueKey = { memberId: binding.memberId, clientId: binding.clientId, connector: binding.connector };
      const queueId = JSON.stringify([queue.clientId, queue.connector]);
      const entry = queues.get(queueId) ?? { queue, writes: new Map<string, JournalWrite>(), userId: e.userId ?? 0 };
      queues.set(queueId, entry);
      messageId ??= messageIdOf(e.event, e.data, e.messageId);
      if (entry.writes.has(messageId)) superseded++;
      entry.writes.set(messageId, {
        eventName: e.event,
        eventData: e.data,
        eventAdditional: { user_id: String(e.userId ?? 0) },
        messageId,
      });
    }
  }

  const fanOut = deliveries.length + [...queues.values()].reduce((n, q) => n + q.writes.size, 0);
  const maxFanOut = deps.maxFanOut ?? MAX_FANOUT_PER_PUBLISH;
  if (fanOut > maxFanOut) {
    throw errors.argument('EVENTS', `These events fan out to ${fanOut} deliveries and journal writes, more than the ${maxFanOut} one request may make: send fewer events per request`);
  }

  const journaled = await journalQueues(
    deps.journal,
    [...queues.values()].map(({ queue, writes, userId }) => ({ queue, writes: [...writes.values()], userId })),
    now,
  );
  const created = journaled.created;
  const merged = superseded + journaled.merged;
  const changes = journaled.changes;
  if (deliveries.length > 0) await deps.deliveries.enqueue(deliveries);
  const notifications = await considerNotifications(deps, request.memberId, changes, now);

  return {
    deliveries_queued: deliveries.length,
    notifications_queued: notifications,
    records_created: created,
    records_merged: merged,
    records_suppressed: suppressed,
  };
}
