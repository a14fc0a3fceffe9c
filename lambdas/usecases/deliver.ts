import { buildPayload, encodePayload, endpoints, MAX_DELAY_SECONDS, newDeliveryId, signatureHeaders, tokenGrant, type PayloadFormat } from '../domain/delivery';
import { afterAttempt, decide, worthStoring } from '../domain/handler-health';
import type { Installation, Portal } from '../domain/model';
import type { DeliveryLog, DeliveryMessage, DeliveryQueue, HandlerSender, RegistryStore } from '../domain/ports';
import { mintTokens, type TokenSettings } from './tokens';

export interface DeliverySettings extends TokenSettings {
  timeoutMs: number;
  /** Attempts after the first; 0 = Bitrix24 behaviour, no retry. */
  retries: number;
  /** First retry after this many seconds, doubling each time (SQS caps a delay at 900 s). */
  retryBaseSeconds: number;
  format: PayloadFormat;
}

export interface DeliveryDeps {
  registry: RegistryStore;
  log: DeliveryLog;
  sender: HandlerSender;
  queue: DeliveryQueue;
  settings: DeliverySettings;
}

export type DeliveryOutcome =
  | { kind: 'delivered'; status: number; latencyMs: number }
  | { kind: 'failed'; status: number; error: string; retryInSeconds?: number; parked?: boolean }
  | { kind: 'deferred'; waitSeconds: number }
  | { kind: 'dropped'; reason: string };

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
  await deps.log.recordAttempt({
    memberId: message.memberId,
    clientId: message.clientId,
    bindingId: message.bindingId,
    event: message.event,
    handler: message.handler,
    deliveryId,
    attempt,
    status: response.status,
    latencyMs: response.latencyMs,
    ok,
    ...(response.error ? { error: response.error } : {}),
    at: now,
  });
  const answeredAt = now + response.latencyMs;
  const after = afterAttempt(health, { ok, latencyMs: response.latencyMs }, answeredAt);
  if (worthStoring(health, after)) await deps.log.putHealth(message.handler, after, answeredAt);
  if (ok) return { kind: 'delivered', status: response.status, latencyMs: response.latencyMs };

  const error = response.error ?? `HTTP ${response.status}`;
  if (deps.settings.retries <= 0) return { kind: 'failed', status: response.status, error };
  if (attempt > deps.settings.retries) {
    await deps.queue.park({ ...message, deliveryId }, `${attempt} attempts failed; last: ${error}`);
    return { kind: 'failed', status: response.status, error, parked: true };
  }
  const retryInSeconds = Math.min(MAX_DELAY_SECONDS, deps.settings.retryBaseSeconds * 2 ** (attempt - 1));
  await deps.queue.enqueue([{ ...message, deliveryId, attempt: attempt + 1 }], retryInSeconds);
  return { kind: 'failed', status: response.status, error, retryInSeconds };
}
