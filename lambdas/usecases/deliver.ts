import { buildPayload, encodePayload, endpoints, MAX_DELAY_SECONDS, newDeliveryId, signatureHeaders, tokenGrant, type PayloadFormat } from '../domain/delivery';
import { afterAttempt, decide, switchedOff, switchOffReason, worthStoring, type SwitchOff } from '../domain/handler-health';
import type { Installation, Portal } from '../domain/model';
import type { AttemptStatus, DeliveryAttempt, DeliveryLog, DeliveryMessage, DeliveryQueue, HandlerSender, RegistryStore } from '../domain/ports';
import { fallBack } from './delivery-fallback';
import type { NotificationDeps } from './offline-notification';
import { mintTokens, type TokenSettings } from './tokens';

export interface DeliverySettings extends TokenSettings {
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
  log: DeliveryLog;
  sender: HandlerSender;
  queue: DeliveryQueue;
  settings: DeliverySettings;
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
 * 1. The application must still be installed (else the delivery is dropped).
 * 2. A slow or failing handler is called at most once per its spacing: a delivery that comes
 *    sooner goes back to the queue with a delay, so this worker's time goes to healthy handlers.
 * 3. Tokens are minted as domain/delivery.ts says for the event and user.
 * 4. The Bitrix payload is encoded (form or JSON), signed (Standard Webhooks) and POSTed.
 * 5. The attempt is recorded; the handler's health is updated; a failure is retried with
 *    backoff when the deployment allows retries, and parked in the DLQ when they run out.
 * 6. A handler switched off for the application gets nothing; one that fails for too long or
 *    answers 410 is switched off. A final failure of a binding with a fallback is journaled.
 */
export async function deliver(deps: DeliveryDeps, message: DeliveryMessage, now: number, cache = new Map<string, Promise<[Portal | undefined, Installation | undefined]>>()): Promise<DeliveryOutcome> {
  const key = `${message.memberId}/${message.clientId}`;
  let loading = cache.get(key);
  if (!loading) {
    loading = Promise.all([deps.registry.getPortal(message.memberId), deps.registry.getInstallation(message.memberId, message.clientId)]);
    cache.set(key, loading);
  }
  const [portal, found] = await loading;
  const installation = found ?? uninstalledInstallation(message);
  if (!portal || !installation) return { kind: 'dropped', reason: 'the application is no longer installed' };

  const health = await deps.log.getHealth(message.handler);
  const off = switchedOff(health, message.memberId, message.clientId);
  if (off) return notSent(deps, message, off, now);
  const decision = decide(health, now);
  if (!decision.deliver || (decision.reserveUntil !== undefined && !(await deps.log.reserveTurn(message.handler, now, decision.reserveUntil)))) {
    const waitMs = decision.deliver ? decision.reserveUntil! - now : decision.waitMs;
    const waitSeconds = Math.min(MAX_DELAY_SECONDS, Math.max(1, Math.ceil(waitMs / 1000)));
    await deps.queue.enqueue([message], waitSeconds);
    return { kind: 'deferred', waitSeconds };
  }

  const nowSeconds = Math.floor(now / 1000);
  const webhook = installation.kind === 'webhook';
  const grant = tokenGrant(message.event, message.userId, webhook);
  const tokens = grant === 'none' ? undefined : await mintTokens(deps.registry, installation, message.userId, grant, deps.settings, nowSeconds);
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
  await deps.log.recordAttempt({
    ...attemptRow(message, deliveryId, attempt, outcome),
    status: response.status,
    latencyMs: response.latencyMs,
    ok,
    ...(response.error ? { error: response.error } : {}),
    at: now,
  });
  if (worthStoring(health, after)) await deps.log.putHealth(message.handler, after, answeredAt);
  if (ok) return { kind: 'delivered', status: response.status, latencyMs: response.latencyMs };

  const error = response.error ?? `HTTP ${response.status}`;
  if (offReason) await deps.log.switchOff(message.handler, message.memberId, message.clientId, { at: answeredAt, reason: offReason });
  const switched = offReason ? { switchedOff: offReason } : {};
  if (fallsBack) {
    await fallBack(deps.fallback!, message, { deliveryId, error, attempts: attempt }, now);
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
  await deps.log.recordAttempt({ ...attemptRow(message, deliveryId, attempt, fallsBack ? 'fallback' : 'dropped'), status: 0, latencyMs: 0, ok: false, error, at: now });
  if (!fallsBack) return { kind: 'dropped', reason: error };
  await fallBack(deps.fallback!, message, { deliveryId, error, attempts: attempt }, now);
  return { kind: 'dropped', reason: error, fellBack: true };
}
