import type { EventCatalog } from '../domain/catalog';
import { forEachLimited } from '../domain/concurrency';
import { deliveryFor } from '../domain/delivery';
import { errors } from '../domain/errors';
import { messageIdOf } from '../domain/journal';
import { OFFLINE_NOTIFICATION } from '../domain/offline-notification';
import type { Binding, QueueKey } from '../domain/model';
import { journalQueues } from './journal-writes';
import { considerNotifications, type NotificationDeps } from './offline-notification';
import { newDeliveryId } from '../domain/delivery';
import { EnqueueFailed, type BindingStore, type DeliveryMessage, type DeliveryQueue, type JournalStore, type JournalWrite, type LedgerClaim, type PublishLedger, type RegistryStore } from '../domain/ports';

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

/** One delivery or journal write of the request that was not made (docs/producer.md, "Partial failures"). */
export interface NotWritten {
  /** The event's position in the request. */
  index: number;
  event: string;
  messageId?: string;
  /** `delivery` to an online binding, `record` in an offline binding's queue, `notification` (ONOFFLINEEVENT of an application). */
  kind: 'delivery' | 'record' | 'notification';
  bindingId?: number;
  clientId: string;
  connector?: string;
  /** The store's error (mapped to a Bitrix code by the wire layer), or a BitrixError. */
  error: unknown;
}

export interface PublishResult {
  deliveries_queued: number;
  /** ONOFFLINEEVENT notifications queued now (trailing ones are scheduled, not counted). */
  notifications_queued: number;
  records_created: number;
  records_merged: number;
  records_suppressed: number;
  /** Deliveries and journal writes an earlier request with the same message_id already made (skipped). */
  duplicates_skipped: number;
  /** What was not written; empty when everything was. */
  notWritten: NotWritten[];
  /** Idempotency rows that could not be stored (logged; a retry within the lock may then repeat work). */
  ledgerErrors: unknown[];
}

/** How long a publish holds a message_id while it writes (longer than publish's 15 s timeout). */
export const PUBLISH_LOCK_MS = 30_000;
/** How long a message_id's last version is remembered when the deployment does not say (PUBLISH_IDEMPOTENCY_SECONDS). */
export const DEFAULT_IDEMPOTENCY_WINDOW_MS = 15 * 60 * 1000;

/**
 * The most deliveries plus journal writes one publish request may make. With the concurrency
 * bounds below (8 binding reads, 4 journal queues and 64 journal writes, 16 SQS batches of 10 in flight) this many
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
  /** The idempotency window's store; without it, a retried message_id is published again. */
  ledger?: PublishLedger;
  /** How long what a message_id wrote is remembered (PUBLISH_IDEMPOTENCY_SECONDS; default 15 minutes). */
  idempotencyWindowMs?: number;
  /** Overrides MAX_FANOUT_PER_PUBLISH (tests). */
  maxFanOut?: number;
  /** Keeps each written queue within its retention and size limit (usecases/queue-upkeep.ts). */
  upkeep?: { after(queue: QueueKey, now: number): Promise<unknown> };
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
 * 5. Events with a producer message_id: take each from the idempotency ledger and skip what an
 *    earlier request already wrote (a message another request is publishing now is not
 *    written: retry).
 * 6. Write the journal queues, then queue the deliveries. Each queue, write and delivery on
 *    its own: one that fails is listed in `notWritten` and everything else is still written.
 * 7. Record in the ledger what each message_id has now written.
 * 8. Consider the ONOFFLINEEVENT bindings of each application that got records (docs/notifications.md).
 */
export async function publish(deps: PublishDeps, request: PublishRequest, now: number): Promise<PublishResult> {
  const events = request.events.map((e) => ({ ...e, event: e.event.toUpperCase() }));
  events.forEach((e, i) => {
    if (deps.catalog.scopeOf(e.event) === undefined) {
      throw errors.argument(`EVENTS[${i}].EVENT`, `Event ${e.event} is not in the event catalog`);
    }
  });

  // The portal and the bindings are read at once (one round trip, not two); nothing is written before the portal is known.
  const names = [...new Set(events.map((e) => e.event))];
  const bindingsByEvent = new Map<string, Binding[]>();
  const [portal] = await Promise.all([
    deps.registry.getPortal(request.memberId),
    forEachLimited(names, 8, async (name) => {
      bindingsByEvent.set(name, await deps.bindings.listByEvent(request.memberId, name));
    }),
  ]);
  if (!portal) throw errors.argument('MEMBER_ID', `Unknown portal ${request.memberId}`);
  // Records will be journaled: read the ONOFFLINEEVENT bindings while the journal is written, not after.
  const journals = [...bindingsByEvent.values()].some((bindings) => bindings.some((b) => b.offline));
  const notificationBindings = journals ? deps.bindings.listByEvent(request.memberId, OFFLINE_NOTIFICATION) : undefined;
  notificationBindings?.catch(() => undefined); // its failure is handled where it is awaited (or it is not needed)

  // The fan-out cap, before anything is taken or written.
  let fanOut = 0;
  for (const e of events) {
    const bindings = bindingsByEvent.get(e.event) ?? [];
    fanOut += bindings.filter((b) => !b.offline).length;
  }
  // Each event's MESSAGE_ID (the md5 of its data unless the producer gave one), only for events that are journaled.
  const messageIds: (string | undefined)[] = events.map(() => undefined);
  const queueWrites = new Set<string>();
  events.forEach((e, i) => {
    for (const b of bindingsByEvent.get(e.event) ?? []) {
      if (!b.offline || initiatedBy(e, b)) continue;
      messageIds[i] ??= messageIdOf(e.event, e.data, e.messageId);
      queueWrites.add(JSON.stringify([b.clientId, b.connector, messageIds[i]]));
    }
  });
  fanOut += queueWrites.size;
  const maxFanOut = deps.maxFanOut ?? MAX_FANOUT_PER_PUBLISH;
  if (fanOut > maxFanOut) {
    throw errors.argument('EVENTS', `These events fan out to ${fanOut} deliveries and journal writes, more than the ${maxFanOut} one request may make: send fewer events per request`);
  }

  const notWritten: NotWritten[] = [];
  const ledgerErrors: unknown[] = [];
  const owner = newDeliveryId();
  const windowMs = deps.idempotencyWindowMs ?? DEFAULT_IDEMPOTENCY_WINDOW_MS;
  // Per message_id (lower case): its version in this request (the md5 of its events, in order) and what earlier requests wrote of it.
  const claims = new Map<string, { parts: string[]; claim?: LedgerClaim }>();
  const occurrence: number[] = []; // the event's position among the request's events of its message_id
  const ledger = deps.ledger;
  if (ledger) {
    events.forEach((e, i) => {
      if (!e.messageId) return;
      const key = e.messageId.toLowerCase();
      const entry = claims.get(key) ?? { parts: [] };
      occurrence[i] = entry.parts.length;
      entry.parts.push(messageIdOf(e.event, [e.data, e.userId ?? 0, e.initiator ?? null]));
      claims.set(key, entry);
    });
    await forEachLimited([...claims], 16, async ([id, entry]) => {
      try {
        const version = entry.parts.length === 1 ? entry.parts[0]! : messageIdOf('', entry.parts);
        entry.claim = await ledger.begin(request.memberId, id, version, owner, now, PUBLISH_LOCK_MS, windowMs);
      } catch (error) {
        ledgerErrors.push(error); // the ledger cannot be reached: publish anyway (at least once) rather than refuse
      }
    });
  }

  const ts = Math.floor(now / 1000);
  const deliveries: DeliveryMessage[] = [];
  /** deliveryId → the event and binding it is for. */
  const deliveryOf = new Map<string, { index: number; binding: Binding }>();
  const queues = new Map<string, { queue: QueueKey; writes: Map<string, JournalWrite>; userId: number; sources: Map<string, { index: number; binding: Binding }[]> }>();
  let suppressed = 0;
  let superseded = 0;
  let skipped = 0;

  events.forEach((e, index) => {
    const claim = e.messageId ? claims.get(e.messageId.toLowerCase())?.claim : undefined;
    const done = new Set(typeof claim === 'object' ? claim.done : []);
    for (const binding of bindingsByEvent.get(e.event) ?? []) {
      if (binding.offline && initiatedBy(e, binding)) {
        suppressed++;
        continue;
      }
      if (claim === 'busy') {
        notWritten.push(notWrittenOf(e, index, binding, errors.busy(`message_id ${e.messageId ?? ''} with the same data is being published by another request; retry after it`)));
        continue;
      }
      if (done.has(targetOf(binding, occurrence[index] ?? 0))) {
        skipped++;
        continue;
      }
      if (!binding.offline) {
        const message = { ...deliveryFor(binding, e.event, binding.userId !== 0 ? binding.userId : (e.userId ?? 0), e.data, ts), deliveryId: newDeliveryId() };
        deliveries.push(message);
        deliveryOf.set(message.deliveryId, { index, binding });
        continue;
      }
      const queue: QueueKey = { memberId: binding.memberId, clientId: binding.clientId, connector: binding.connector };
      const queueId = JSON.stringify([queue.clientId, queue.connector]);
      const entry = queues.get(queueId) ?? { queue, writes: new Map<string, JournalWrite>(), userId: e.userId ?? 0, sources: new Map() };
      queues.set(queueId, entry);
      const messageId = messageIds[index]!;
      if (entry.writes.has(messageId)) superseded++;
      entry.writes.set(messageId, {
        eventName: e.event,
        eventData: e.data,
        eventAdditional: { user_id: String(e.userId ?? 0) },
        messageId,
      });
      entry.sources.set(messageId, [...(entry.sources.get(messageId) ?? []), { index, binding }]);
    }
  });

  const perQueue = [...queues.values()];
  const journaled = await journalQueues(deps.journal, perQueue.map(({ queue, writes, userId }) => ({ queue, writes: [...writes.values()], userId })), now, deps.upkeep);
  const { created, changes } = journaled;
  let merged = superseded + journaled.merged;
  for (const f of journaled.failed) {
    const sources = perQueue[f.at]!.sources.get(f.messageId) ?? [];
    for (const { index, binding } of sources) notWritten.push(notWrittenOf(events[index]!, index, binding, f.error));
    // Later events of the same object in this request merged into a write that failed: not written either.
    merged -= Math.max(0, sources.length - 1);
  }
  let queued = deliveries.length;
  if (deliveries.length > 0) {
    try {
      await deps.deliveries.enqueue(deliveries);
    } catch (error) {
      const failed = error instanceof EnqueueFailed ? error.failed : deliveries.map((message) => ({ message, error }));
      for (const f of failed) {
        const source = deliveryOf.get(f.message.deliveryId ?? '');
        if (source) notWritten.push(notWrittenOf(events[source.index]!, source.index, source.binding, f.error));
      }
      queued -= failed.length;
    }
  }

  if (ledger) {
    // What each message_id this request holds has now written: what earlier requests did, and what this one did.
    const failed = new Set(notWritten.map((n) => `${n.index} ${n.bindingId ?? ''}`));
    const written = new Map<string, Set<string>>();
    events.forEach((e, index) => {
      const key = e.messageId?.toLowerCase();
      const claim = key !== undefined ? claims.get(key)?.claim : undefined;
      if (key === undefined || typeof claim !== 'object') return;
      const done = written.get(key) ?? new Set(claim.done);
      written.set(key, done);
      for (const binding of bindingsByEvent.get(e.event) ?? []) {
        if (!(binding.offline && initiatedBy(e, binding)) && !failed.has(`${index} ${binding.id}`)) done.add(targetOf(binding, occurrence[index] ?? 0));
      }
    });
    await forEachLimited([...written], 16, async ([id, done]) => {
      try {
        await ledger.finish(request.memberId, id, owner, [...done], now, windowMs);
      } catch (error) {
        ledgerErrors.push(error);
      }
    });
  }

  let notifications = 0;
  try {
    notifications = await considerNotifications(deps, request.memberId, changes, now, notificationBindings);
  } catch (error) {
    for (const clientId of changes.keys()) notWritten.push({ index: -1, event: 'ONOFFLINEEVENT', kind: 'notification', clientId, error });
  }

  return {
    deliveries_queued: queued,
    notifications_queued: notifications,
    records_created: created,
    records_merged: merged,
    records_suppressed: suppressed,
    duplicates_skipped: skipped,
    notWritten,
    ledgerErrors,
  };
}

/** The application made the change itself through this binding's connector: it does not need to hear about it. */
const initiatedBy = (e: PublishedEvent, binding: Binding): boolean =>
  e.initiator !== undefined && e.initiator.clientId === binding.clientId && e.initiator.connector === binding.connector;

/**
 * What a message_id wrote for a binding: a write in its application's queue (offline; the
 * request's events of one message_id merge into one), or the delivery of the message_id's
 * n-th event of the request (online; each event is delivered).
 */
const targetOf = (binding: Binding, n: number): string => (binding.offline ? `q${binding.clientId} ${binding.connector}` : `d${binding.id}.${n}`);

function notWrittenOf(e: PublishedEvent, index: number, binding: Binding, error: unknown): NotWritten {
  return {
    index,
    event: e.event,
    ...(e.messageId !== undefined ? { messageId: e.messageId } : {}),
    kind: binding.offline ? 'record' : 'delivery',
    bindingId: binding.id,
    clientId: binding.clientId,
    ...(binding.offline ? { connector: binding.connector } : {}),
    error,
  };
}
