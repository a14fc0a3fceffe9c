import type { NewBinding } from './bindings';
import type { HandlerHealth, SwitchOff } from './handler-health';
import type { JournaledChange, TrailingNotification } from './offline-notification';
import type { PendingWalk } from './pending-selection';
import type { Binding, Credential, Installation, JournalRecord, Portal, QueueKey } from './model';

/**
 * Ports: what the use cases need from storage and transport. Adapters under
 * `lambdas/adapters/` implement them; tests may pass in-memory versions.
 */

export interface RegistryStore {
  getPortal(memberId: string): Promise<Portal | undefined>;
  putPortal(portal: Portal): Promise<void>;
  getInstallation(memberId: string, clientId: string): Promise<Installation | undefined>;
  putInstallation(installation: Installation): Promise<void>;
  deleteInstallation(memberId: string, clientId: string): Promise<void>;
  listInstallations(memberId?: string): Promise<Installation[]>;
  /** Remembers a connector that has an offline queue, so uninstall can find every queue. */
  addConnector(memberId: string, clientId: string, connector: string): Promise<void>;
  /** The hash of the application's client secret, when the application is known. */
  getClientSecretHash(clientId: string): Promise<string | undefined>;
  putClientSecretHash(clientId: string, hash: string): Promise<void>;
  getCredential(secretHash: string): Promise<Credential | undefined>;
  putCredential(secretHash: string, credential: Credential): Promise<void>;
  deleteCredential(secretHash: string): Promise<void>;
  /** Deletes every credential of an installation (tokens and webhook secrets); returns how many. */
  deleteCredentialsOf(memberId: string, clientId: string): Promise<number>;
}

export interface BindingStore {
  /** Stores a binding created at `now`; throws `ERROR_CORE` when the same binding exists. */
  create(binding: NewBinding, now: number): Promise<Binding>;
  /** Every binding of one event on one portal, in creation order: the publish fan-out. */
  listByEvent(memberId: string, event: string): Promise<Binding[]>;
  /** An application's bindings in creation order. */
  listByApplication(memberId: string, clientId: string): Promise<Binding[]>;
  delete(binding: Binding): Promise<void>;
}

/** One journal write: merged into the queue's pending record of `messageId`, or a new record. */
export interface JournalWrite {
  eventName: string;
  eventData: unknown;
  eventAdditional: Record<string, unknown>;
  messageId: string;
}

export interface PendingFigures {
  /** Pending records, counted up to the cap. */
  pending: number;
  /** False when there are more than `pending`. */
  exact: boolean;
  /** ID of the oldest pending record (IDs carry their allocation time). */
  oldestId?: number;
}

export interface ClaimOptions {
  /** Delete on claim (`clear=1`) instead of keeping the records under the process. */
  clear: boolean;
  processId: string;
  now: number;
  /** Stop sending claims once one is lost to a parallel caller (those in flight complete). */
  stopOnLoss?: boolean;
}

/**
 * A pending record known only by its keys (what the byOrder index holds): enough to claim it.
 * A full JournalRecord is one too.
 */
export interface ClaimCandidate {
  id: number;
  messageId: string;
  error?: boolean;
}

/**
 * A range of a queue's pending IDs (of one kind) that one `event.offline.get` call is claiming
 * (docs/journal.md, "Parallel consumers"): parallel calls leave the IDs in live leases to their
 * holder and pick beside them, so they seldom race for a record. A lease only steers; the
 * claim of each record stays exclusive on its own.
 */
export interface ClaimLease {
  /** Inclusive bounds; the lease is known by `fromId` (one lease per first ID). */
  fromId: number;
  toId: number;
  /** Unix ms after which the lease no longer holds (a crashed call's records come free). */
  exp: number;
}

export interface ClaimOutcome {
  claimed: JournalRecord[];
  /** Claims sent: fewer than the batch when `stopOnLoss` stopped early. */
  attempted: number;
}

/** What a queue may keep (docs/journal.md, "Retention and queue size"). */
export interface QueueLimits {
  /** Pending records (either kind) not written for this long are removed. */
  retentionMs: number;
  /** Pending records of one kind a queue keeps; the oldest beyond it are removed. */
  maxRecords: number;
}

/** What one trim removed. */
export interface TrimOutcome {
  /** Pending records past the retention. */
  expired: number;
  /** The oldest pending records beyond the queue's size limit. */
  overflow: number;
  /** Claimed copies past their claim lifetime (already invisible; removed so they take no room). */
  claimsExpired: number;
}

/** Pending records a queue's trims removed, in total (never reset but by deleting the queue). */
export interface RemovedFigures {
  expired: number;
  overflow: number;
}

/** A journal write that did not happen (its MESSAGE_ID) and why: the store's own error. */
export interface JournalWriteFailure {
  messageId: string;
  error: unknown;
}

export interface JournalStore {
  /**
   * Writes each of `writes` on its own: one that fails (the queue is full, throttled, …) is
   * listed in `failed` and the others are still written. Throws only when none could be tried.
   */
  write(queue: QueueKey, writes: JournalWrite[], now: number): Promise<{ created: number; merged: number; failed?: JournalWriteFailure[] }>;
  /** Every record of the queue whose claim has not expired (read only). */
  readAll(queue: QueueKey, now: number): Promise<JournalRecord[]>;
  /**
   * The queue's pending records of one kind (normal, or error ones after `event.offline.error`)
   * along a walk (domain/pending-selection.ts), page by page, read strongly consistent.
   */
  pendingPages(queue: QueueKey, error: boolean, walk: PendingWalk, pageSize: () => number): AsyncIterable<JournalRecord[]>;
  /**
   * The keys of up to `count` pending records of one kind along a walk by ID: the cheap read
   * of a contended claim round, which picks among them at random (no record bodies read).
   */
  pendingKeys(queue: QueueKey, error: boolean, walk: PendingWalk, count: number): Promise<ClaimCandidate[]>;
  /** How many pending records of one kind wait (counted up to `cap`) and the oldest one's ID. */
  pendingFigures(queue: QueueKey, error: boolean, cap: number): Promise<PendingFigures>;
  /** The live leases (exp after `now`) on the queue's pending records of one kind. */
  claimLeases(queue: QueueKey, error: boolean, now: number): Promise<ClaimLease[]>;
  /**
   * Takes `lease` unless a live lease with the same `fromId` exists: undefined when taken,
   * else that live lease (so the caller picks beside it without reading the queue again).
   */
  takeLease(queue: QueueKey, error: boolean, lease: ClaimLease, now: number): Promise<ClaimLease | undefined>;
  /** Gives a lease back (only if it is still the one taken: same `fromId` and `exp`). */
  releaseLease(queue: QueueKey, error: boolean, lease: ClaimLease): Promise<void>;
  /**
   * Claims each record of `batch`. Each claim is exclusive: of parallel callers exactly one
   * gets a record. Returns the records claimed, as stored at the moment of the claim.
   */
  claim(queue: QueueKey, batch: readonly (JournalRecord | ClaimCandidate)[], options: ClaimOptions): Promise<ClaimOutcome>;
  /** The records a process still holds (claim not expired). */
  readProcess(queue: QueueKey, processId: string, now: number): Promise<JournalRecord[]>;
  /** Deletes records a process holds. */
  deleteClaimed(queue: QueueKey, records: readonly JournalRecord[]): Promise<void>;
  /**
   * Turns records a process holds into pending error records, and removes every other
   * non-error copy (pending or claimed) of their MESSAGE_IDs.
   */
  markError(queue: QueueKey, records: readonly JournalRecord[], now: number): Promise<void>;
  deleteQueue(queue: QueueKey): Promise<number>;
  /**
   * The right to trim the queue now: true for at most one caller per `intervalMs` across every
   * process (a conditional write), false otherwise.
   */
  trimDue(queue: QueueKey, now: number, intervalMs: number): Promise<boolean>;
  /**
   * Removes the pending records past the retention (last written before `now - retentionMs`),
   * then the oldest pending records of each kind beyond `maxRecords`, then claimed copies whose
   * claim has expired; adds the pending records removed to the queue's RemovedFigures. Each
   * removal is conditional on the record being the one read, so a record claimed or merged
   * meanwhile is neither removed nor counted.
   */
  trim(queue: QueueKey, limits: QueueLimits, now: number): Promise<TrimOutcome>;
  removedFigures(queue: QueueKey): Promise<RemovedFigures>;
}

/** One HTTP delivery to an online binding (docs/delivery.md); the worker builds the payload from it. */
export interface DeliveryMessage {
  memberId: string;
  clientId: string;
  bindingId: number;
  event: string;
  handler: string;
  /** The binding's `auth_type` user, or the user who caused the event; 0 = no user context. */
  userId: number;
  data: unknown;
  /** Unix seconds of the publish. */
  ts: number;
  /** The binding's body format, when it asked for one. */
  format?: 'form' | 'json';
  /** The binding asked for `options[fallback]=offline`: a delivery that finally fails is journaled into this connector's queue ('' = the default queue). */
  fallback?: { connector: string };
  /** 1 for the first attempt; retries count up. */
  attempt?: number;
  /** Stable id of this delivery across retries (the `webhook-id` header); set when queued. */
  deliveryId?: string;
  /**
   * ONAPPUNINSTALL only: the application as it was, since the installation is gone by the
   * time the worker sends the event (its signing secret included, so the handler can verify).
   */
  uninstalled?: { domain: string; applicationToken: string; status: string; signingSecret: string };
}

/**
 * Thrown by `DeliveryQueue.enqueue` when some messages could not be queued: every other
 * message was queued; these were not.
 */
export class EnqueueFailed extends Error {
  constructor(readonly failed: { message: DeliveryMessage; error: unknown }[]) {
    super(`${failed.length} deliveries were not queued: ${String((failed[0]?.error as Error | undefined)?.message ?? failed[0]?.error)}`);
    this.name = 'EnqueueFailed';
  }
}

export interface DeliveryQueue {
  /**
   * Queues deliveries, optionally after a delay (at most 900 s, SQS's limit). When some cannot
   * be queued, the others still are and it throws EnqueueFailed naming those that were not.
   */
  enqueue(messages: DeliveryMessage[], delaySeconds?: number): Promise<void>;
  /** Parks a delivery whose retries are exhausted in the dead-letter queue. */
  park(message: DeliveryMessage, reason: string): Promise<void>;
}

/** A delivery parked in the dead-letter queue, as the console shows it (docs/console.md). */
export interface ParkedDelivery {
  /** The queue's id of the message (the console redrives by it). */
  messageId: string;
  /** The delivery, or undefined when the body is not one (shown raw). */
  message?: DeliveryMessage;
  body: string;
  /** Why it was parked (set by `park`; absent when SQS moved it after maxReceiveCount). */
  reason?: string;
  /** Unix ms when it entered the dead-letter queue. */
  sentAt: number;
  receiveCount: number;
}

/** The deliveries dead-letter queue, for the operator console. */
export interface DeadLetterQueue {
  /** Approximate number of messages in it. */
  depth(): Promise<number>;
  /** Up to `max` messages, without consuming them (they stay in the queue). */
  peek(max: number): Promise<ParkedDelivery[]>;
  /**
   * Moves messages back to the delivery queue (attempt 1 again, same delivery id): all of
   * them, or only those whose message id is in `ids`. Returns the ids moved.
   */
  redrive(ids?: readonly string[]): Promise<string[]>;
}

export interface HandlerResponse {
  /** HTTP status; 0 when there was none (refused, timed out, network error). */
  status: number;
  latencyMs: number;
  /** Why it failed, when it did. */
  error?: string;
  /** A 429 or 503 answer's `Retry-After`, in seconds. */
  retryAfterSeconds?: number;
}

/** POSTs a delivery; the adapter enforces the timeout, the address guard and no redirects. */
export interface HandlerSender {
  post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<HandlerResponse>;
}

/**
 * What became of one attempt (docs/delivery.md "Delivery history"): `delivered` (2xx), `deferred`
 * (failed, queued again for a retry), `failed` (failed, no attempt left), `fallback` (failed or
 * the handler is switched off, and journaled offline), `dropped` (the handler is switched off
 * and the binding has no fallback: not sent).
 */
export type AttemptStatus = 'delivered' | 'deferred' | 'failed' | 'fallback' | 'dropped';
export const ATTEMPT_STATUSES: readonly AttemptStatus[] = ['delivered', 'deferred', 'failed', 'fallback', 'dropped'];

/** One row of the attempt log: what `event.delivery.list` shows and what `event.delivery.resend` rebuilds the delivery from. */
export interface DeliveryAttempt {
  memberId: string;
  clientId: string;
  bindingId: number;
  event: string;
  handler: string;
  deliveryId: string;
  attempt: number;
  /** HTTP status; 0 when there was none (refused, timed out, not sent). */
  status: number;
  latencyMs: number;
  ok: boolean;
  error?: string;
  at: number;
  /** What became of it; rows written before the history existed have none (read as delivered or failed by `ok`). */
  outcome?: AttemptStatus;
  /** The delivery as queued, for a resend: user, data, publish time, format, fallback. */
  userId?: number;
  data?: unknown;
  ts?: number;
  format?: 'form' | 'json';
  fallback?: { connector: string };
}

/** Which attempts a list or resend takes (every field narrows; absent = any). */
export interface AttemptFilter {
  outcomes?: readonly AttemptStatus[];
  event?: string;
  handler?: string;
  /** Unix ms, inclusive. */
  from?: number;
  /** Unix ms, exclusive. */
  before?: number;
  /** Only attempts of these bindings (a user who is not an administrator sees his own bindings'). */
  bindingIds?: readonly number[];
}

/** Handler health, switch-off and the attempt log (docs/delivery.md). */
export interface DeliveryLog {
  /** The handler's health, with the applications it is switched off for. */
  getHealth(handler: string): Promise<HandlerHealth>;
  /** Stores a handler's health as of `now` (its row expires a month later); leaves the switch-offs as they are. */
  putHealth(handler: string, health: HandlerHealth, now: number): Promise<void>;
  /** Takes the handler's next turn: sets nextAt to `until` if it is not in the future at `now`; false when another worker has it. */
  reserveTurn(handler: string, now: number, until: number): Promise<boolean>;
  /** Switches the handler off for one application. */
  switchOff(handler: string, memberId: string, clientId: string, state: SwitchOff): Promise<void>;
  /** Switches it back on for one application and gives it a fresh start (no failures, no wait); true when it was off. */
  switchOn(handler: string, memberId: string, clientId: string, now: number): Promise<boolean>;
  recordAttempt(attempt: DeliveryAttempt): Promise<void>;
  /** Records several attempts at once (the worker's SQS batch): each as `recordAttempt` would, all or an error. */
  recordAttempts(attempts: readonly DeliveryAttempt[]): Promise<void>;
  /** An application's attempts, newest first, up to `limit`, narrowed by `filter`. */
  listAttempts(memberId: string, clientId: string, limit: number, filter?: AttemptFilter): Promise<DeliveryAttempt[]>;
  /** How many attempts match. */
  countAttempts(memberId: string, clientId: string, filter?: AttemptFilter): Promise<number>;
  /** The newest attempt of one delivery of this application; undefined when there is none (unknown, another application's, or expired). */
  findDelivery(memberId: string, clientId: string, deliveryId: string): Promise<DeliveryAttempt | undefined>;
}

/** The per-application request limit (domain/rate-limit.ts), shared by every function. */
export interface RateLimiter {
  /** Takes `weight` requests from the application's bucket; false when they do not fit. */
  admit(memberId: string, clientId: string, weight: number, now: number): Promise<boolean>;
}

/** ONOFFLINEEVENT throttle rows (domain/offline-notification.ts), one per binding. */
export interface NotificationThrottle {
  /** Opens a new window ending at `windowEnd` if none is open at `now`; true for the one caller that did. */
  tryLead(key: string, now: number, windowEnd: number): Promise<boolean>;
  /**
   * Inside an open window, marks its trailing notification (keeping `change` for its payload);
   * returns the window's end for the one caller that marked it, undefined otherwise.
   */
  tryTrail(key: string, now: number, change: JournaledChange): Promise<number | undefined>;
  /** The change a trailing notification for `windowEnd` announces; undefined when the row no longer waits for it. */
  pendingTrailing(key: string, windowEnd: number): Promise<JournaledChange | undefined>;
  /**
   * Ends the trailing wait for `windowEnd`, opening a window to `nextWindowEnd` (0: none).
   * True for the one caller that did it while the row still waited (a publish that opened a
   * window meanwhile wins, and its notification stands for the records).
   */
  closeTrailing(key: string, windowEnd: number, nextWindowEnd: number): Promise<boolean>;
}

/** One-time schedules (EventBridge Scheduler on AWS; DynamoDB and a timer locally). */
export interface NotificationScheduler {
  /** Schedules `input` for the notifier at `at` (unix ms); a schedule of the same name is left as it is. */
  scheduleAt(name: string, at: number, input: TrailingNotification): Promise<void>;
}

/**
 * How a publish stands with one message_id (PublishLedger.begin): `done` = it holds the message
 * and these targets were written by earlier requests (none unless this is a retry); `busy` = a
 * request publishing the same version holds it now; `other` = a request publishing another
 * version holds it now (this one publishes without the ledger).
 */
export type LedgerClaim = { done: string[] } | 'busy' | 'other';

/**
 * The publish idempotency window (docs/producer.md "Retries"): per portal and producer
 * `message_id`, the version last published (`hash`: the md5 of its event and data) and what
 * was written for it ("targets": a delivery per online binding, a journal write per offline
 * queue), so a retry of that version writes only the rest.
 */
export interface PublishLedger {
  /**
   * Takes the message for `request` until `now + lockMs`. A retry (same `hash`, within the
   * window) gets the targets already written; a new version starts with none. The row is kept
   * at least `windowMs`, so a request that dies holding it is forgotten too.
   */
  begin(memberId: string, messageId: string, hash: string, request: string, now: number, lockMs: number, windowMs: number): Promise<LedgerClaim>;
  /** Stores `done` (every target written so far) until `now + windowMs` and lets the message go. */
  finish(memberId: string, messageId: string, request: string, done: string[], now: number, windowMs: number): Promise<void>;
}
