import { buildPayload, encodePayload, endpoints, MAX_DELAY_SECONDS, newDeliveryId, signatureHeaders, tokenGrant, type PayloadFormat } from '../domain/delivery';
import { afterAttempt, decide, switchedOff, switchOffReason, worthStoring, type HandlerHealth, type SwitchOff } from '../domain/handler-health';
import type { Installation } from '../domain/model';
import type { AttemptStatus, BindingStore, DeliveryAttempt, DeliveryLog, DeliveryMessage, DeliveryQueue, HandlerSender, RegistryStore } from '../domain/ports';
import { fallBack } from './delivery-fallback';
import type { DeliveryMemory, DeliveryMemorySettings } from './delivery-memory';
import type { NotificationDeps } from './offline-notification';

export interface DeliverySettings extends DeliveryMemorySettings {
  timeoutMs: number;
  /** Attempts after the first; 0 = Bitrix24 behaviour, no retry. */
  retries: number;
  /** First retry after this many seconds, doubling each time (SQS caps a delay at 900 s). */
  retryBaseSeconds: number;
  format: PayloadFormat;
  /** A handler whose every delivery has failed for this long is switched off for the application (docs/delivery.md "Dead handlers"). */
  switchOffSeconds?: number;
}

/** 24 hours: the default time a handler may fail every delivery before it is switched off. */
export const DEFAULT_SWITCH_OFF_SECONDS = 24 * 3600;

export interface DeliveryDeps {
  registry: RegistryStore;
  bindings: BindingStore;
  log: DeliveryLog;
  sender: HandlerSender;
  queue: DeliveryQueue;
  settings: DeliverySettings;
  /** What the worker keeps between deliveries (delivery-memory.ts): one per process. */
  memory: DeliveryMemory;
  /**
   * When given, attempt records are collected here and the caller writes them in one batch
   * (`DeliveryLog.recordAttempts`) once the SQS batch is done; otherwise each is written at once.
   */
  attempts?: DeliveryAttempt[];
  /** Where a push falls back to pull (the journal and ONOFFLINEEVENT); without it a fallback binding's failures are only failures. */
  fallback?: NotificationDeps;
}

export type DeliveryOutcome =
  | { kind: 'delivered'; status: number; latencyMs: number }
  | { kind: 'failed'; status: number; error: string; retryInSeconds?: number; parked?: boolean; fellBack?: true; switchedOff?: string }
  | { kind: 'deferred'; waitSeconds: number }
  | { kind: 'dropped'; reason: string; fellBack?: true };

/** ONAPPUNINSTALL is sent after the installation is gone, from what the message carries. */
function uninstalledInstallation(message: DeliveryMessage): Installation | undefined {
  if (message.event !== 'ONAPPUNINSTALL' || !message.uninstalled) return undefined;
  const u = message.uninstalled;
  return {
    memberId: message.memberId,
    clientId: message.clientId,
    domain: u.domain,
    applicationToken: u.applicationToken,
    status: u.status as Installation['status'],
    signingSecret: u.signingSecret,
    scopes: [],
    handlerHosts: [],
    installerUserId: 0,
    generation: '',
    connectors: [],
    webhooks: {},
    admins: [],
    installedAt: 0,
  };
}

/**
 * One delivery to an online handler (docs/delivery.md):
 * 1. The application must still be installed and the binding still bound (else the delivery
 *    is dropped, unsent). Both are known for DELIVERY_CACHE_SECONDS after the worker read them.
 * 2. A slow or failing handler is called at most once per its spacing: a delivery that comes
 *    sooner goes back to the queue with a delay, so this worker's time goes to healthy handlers.
 * 3. Tokens as domain/delivery.ts says for the event and user: a kept access token is handed
 *    out again for the first half of its lifetime (tokens.ts, `DeliveryTokens`).
 * 4. The Bitrix payload is encoded (form or JSON), signed (Standard Webhooks) and POSTed.
 * 5. The attempt is recorded; the handler's health is updated; a failure is retried with
 *    backoff when the deployment allows retries, and parked in the DLQ when they run out.
 * 6. A handler switched off for the application gets nothing; one that fails for too long or
 *    answers 410 is switched off. A final failure of a binding with a fallback is journaled.
 */
export async function deliver(deps: DeliveryDeps, message: DeliveryMessage, now: number): Promise<DeliveryOutcome> {
  const [portal, found] = await deps.memory.installation(deps.registry, message, now);
  const installation = found ?? uninstalledInstallation(message);
  if (!portal || !installation) return { kind: 'dropped', reason: 'the application is no longer installed' };
  if (!(await stillBound(deps, message, now))) return { kind: 'dropped', reason: 'the binding no longer exists' };

  const health = await deps.memory.handlerHealth(deps.log, message.handler, now);
  const off = switchedOff(health, message.memberId, message.clientId);
  if (off) return notSent(deps, message, off, now);
  const decision = decide(health, now);
  if (!decision.deliver || (decision.reserveUntil !== undefined && !(await takeTurn(deps, message.handler, health, now, decision.reserveUntil)))) {
    const waitMs = decision.deliver ? decision.reserveUntil! - now : decision.waitMs;
    const waitSeconds = Math.min(MAX_DELAY_SECONDS, Math.max(1, Math.ceil(waitMs / 1000)));
    await deps.queue.enqueue([message], waitSeconds);
    return { kind: 'deferred', waitSeconds };
  }

  const nowSeconds = Math.floor(now / 1000);
  const webhook = installation.kind === 'webhook';
  const grant = tokenGrant(message.event, message.userId, webhook);
  const tokens = grant === 'none' ? undefined : await deps.memory.tokens.handOut(deps.registry, installation, message.userId, grant, nowSeconds);
  const payload = buildPayload({
    event: message.event,
    bindingId: message.bindingId,
    data: message.data,
    ts: message.ts,
    context: {
      domain: portal.domain,
      ...endpoints(deps.settings.publicUrl),
      member_id: installation.memberId,
      application_token: installation.applicationToken,
      ...(webhook ? {} : { status: installation.status }),
    },
    ...(tokens ? { tokens } : {}),
  });
  const { body, contentType } = encodePayload(payload, message.format ?? deps.settings.format);
  const deliveryId = message.deliveryId ?? newDeliveryId();
  const headers = {
    'content-type': contentType,
    ...(installation.signingSecret ? signatureHeaders(installation.signingSecret, deliveryId, nowSeconds, body) : {}),
  };

  const response = await deps.sender.post(message.handler, body, headers, deps.settings.timeoutMs);
  const ok = response.status >= 200 && response.status < 300;
  const attempt = message.attempt ?? 1;
  const answeredAt = now + response.latencyMs;
  const after = afterAttempt(health, { ok, latencyMs: response.latencyMs, ...(response.retryAfterSeconds !== undefined ? { retryAfterMs: response.retryAfterSeconds * 1000 } : {}) }, answeredAt);
  const offReason = ok ? undefined : switchOffReason(after, response.status, answeredAt, (deps.settings.switchOffSeconds ?? DEFAULT_SWITCH_OFF_SECONDS) * 1000);
  const final = !ok && (deps.settings.retries <= 0 || attempt > deps.settings.retries || offReason !== undefined);
  const fallsBack = final && canFallBack(deps, message);
  const outcome: AttemptStatus = ok ? 'delivered' : !final ? 'deferred' : fallsBack ? 'fallback' : 'failed';
  const row: DeliveryAttempt = {
    ...attemptRow(message, deliveryId, attempt, outcome),
    status: response.status,
    latencyMs: response.latencyMs,
    ok,
    ...(response.error ? { error: response.error } : {}),
    at: now,
  };
  // A fallback's row is recorded once its journal record is written (below).
  if (!fallsBack) await recordAttempt(deps, row);
  deps.memory.learntHealth(message.handler, after);
  if (worthStoring(health, after)) await deps.log.putHealth(message.handler, after, answeredAt);
  if (ok) return { kind: 'delivered', status: response.status, latencyMs: response.latencyMs };

  const error = response.error ?? `HTTP ${response.status}`;
  if (offReason) {
    await deps.log.switchOff(message.handler, message.memberId, message.clientId, { at: answeredAt, reason: offReason });
    // The next delivery in this worker reads the switch-off instead of the kept health.
    deps.memory.forgetHealth(message.handler);
  }
  const switched = offReason ? { switchedOff: offReason } : {};
  if (fallsBack) {
    await fallBackRecorded(deps, message, row, { deliveryId, error, attempts: attempt }, now);
    return { kind: 'failed', status: response.status, error, fellBack: true, ...switched };
  }
  if (deps.settings.retries <= 0) return { kind: 'failed', status: response.status, error, ...switched };
  if (final) {
    await deps.queue.park({ ...message, deliveryId }, `${attempt} attempts failed; last: ${error}`);
    return { kind: 'failed', status: response.status, error, parked: true, ...switched };
  }
  // A 429 or 503 with Retry-After is not retried sooner than it asks (at most SQS's 900 s).
  const backoff = Math.max(deps.settings.retryBaseSeconds * 2 ** (attempt - 1), response.retryAfterSeconds ?? 0);
  const retryInSeconds = Math.min(MAX_DELAY_SECONDS, backoff);
  await deps.queue.enqueue([{ ...message, deliveryId, attempt: attempt + 1 }], retryInSeconds);
  return { kind: 'failed', status: response.status, error, retryInSeconds };
}

/**
 * ONAPPUNINSTALL goes out after its bindings are removed, and the install handler's
 * ONAPPINSTALL (binding 0) has none: every other delivery needs its binding still bound.
 */
function stillBound(deps: DeliveryDeps, message: DeliveryMessage, now: number): Promise<boolean> | boolean {
  if (message.uninstalled || message.bindingId === 0) return true;
  return deps.memory.bindingExists(deps.bindings, message, now);
}

/** A limited handler's turn (a conditional write): of parallel workers, one gets it. */
async function takeTurn(deps: DeliveryDeps, handler: string, health: HandlerHealth, now: number, until: number): Promise<boolean> {
  const taken = await deps.log.reserveTurn(handler, now, until);
  if (taken) deps.memory.learntHealth(handler, { ...health, nextAt: until });
  else deps.memory.forgetHealth(handler);
  return taken;
}

/** Collected for the batch write when the caller batches (the worker), else written now. */
async function recordAttempt(deps: DeliveryDeps, attempt: DeliveryAttempt): Promise<void> {
  if (deps.attempts) deps.attempts.push(attempt);
  else await deps.log.recordAttempt(attempt);
}

const canFallBack = (deps: DeliveryDeps, message: DeliveryMessage): boolean => message.fallback !== undefined && deps.fallback !== undefined;

/** The attempt log row of a delivery, with what a resend rebuilds it from (docs/delivery.md "Delivery history"). */
function attemptRow(message: DeliveryMessage, deliveryId: string, attempt: number, outcome: AttemptStatus): Omit<DeliveryAttempt, 'status' | 'latencyMs' | 'ok' | 'at'> {
  return {
    memberId: message.memberId,
    clientId: message.clientId,
    bindingId: message.bindingId,
    event: message.event,
    handler: message.handler,
    deliveryId,
    attempt,
    outcome,
    userId: message.userId,
    data: message.data,
    ts: message.ts,
    ...(message.format ? { format: message.format } : {}),
    ...(message.fallback ? { fallback: message.fallback } : {}),
  };
}

/**
 * A delivery to a handler switched off for the application (docs/delivery.md "Dead handlers"):
 * nothing is POSTed; it falls back when the binding asked for it, else it is dropped. Either
 * way the attempt log says so.
 */
async function notSent(deps: DeliveryDeps, message: DeliveryMessage, off: SwitchOff, now: number): Promise<DeliveryOutcome> {
  const deliveryId = message.deliveryId ?? newDeliveryId();
  const attempt = message.attempt ?? 1;
  const fallsBack = canFallBack(deps, message);
  const error = `handler switched off: ${off.reason}`;
  const row: DeliveryAttempt = { ...attemptRow(message, deliveryId, attempt, fallsBack ? 'fallback' : 'dropped'), status: 0, latencyMs: 0, ok: false, error, at: now };
  if (!fallsBack) {
    await recordAttempt(deps, row);
    return { kind: 'dropped', reason: error };
  }
  await fallBackRecorded(deps, message, row, { deliveryId, error, attempts: attempt }, now);
  return { kind: 'dropped', reason: error, fellBack: true };
}

/**
 * Journals a delivery that falls back to pull, then records its `fallback` row. When the journal
 * write fails the row says `failed` and the error goes up: the message is not acknowledged, SQS
 * gives it back, and nothing is lost or listed as journaled that was not.
 */
async function fallBackRecorded(deps: DeliveryDeps, message: DeliveryMessage, row: DeliveryAttempt, failure: { deliveryId: string; error: string; attempts: number }, now: number): Promise<void> {
  try {
    await fallBack(deps.fallback!, message, failure, now);
  } catch (error) {
    await recordAttempt(deps, { ...row, outcome: 'failed', error: `${row.error ?? failure.error}; not journaled: ${(error as Error).message}`.slice(0, 500) });
    throw error;
  }
  await recordAttempt(deps, row);
}
