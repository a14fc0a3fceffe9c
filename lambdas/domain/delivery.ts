import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { Binding } from './model';
import type { DeliveryMessage } from './ports';
import { httpBuildQuery } from './php-query';

/**
 * What a delivery carries (docs/delivery.md) and how it is encoded and signed. Which events carry
 * tokens is decided here and nowhere else.
 */

/** Events whose `auth` also carries a `refresh_token` (docs/delivery.md). */
const WITH_REFRESH_TOKEN = new Set(['ONAPPINSTALL', 'ONAPPUPDATE', 'ONAPPTEST', 'ONOFFLINEEVENT']);
/** Events whose `auth` never carries user tokens. */
const WITHOUT_TOKENS = new Set(['ONAPPUNINSTALL']);

export type TokenGrant = 'none' | 'access' | 'access+refresh';

/** The longest delay a queued delivery can get (SQS's limit); a longer wait is taken in steps. */
export const MAX_DELAY_SECONDS = 900;

/**
 * The tokens an event's delivery carries for user `userId` (0 = no user context). An
 * operator's outgoing webhook (`webhook`) never gets tokens: it has no user and no API access.
 */
export function tokenGrant(event: string, userId: number, webhook = false): TokenGrant {
  if (webhook || userId <= 0 || WITHOUT_TOKENS.has(event)) return 'none';
  return WITH_REFRESH_TOKEN.has(event) ? 'access+refresh' : 'access';
}

/**
 * The queued delivery of `event` to an online binding: the one place that turns a binding
 * into a message, so every sender (publish, event.test, ONOFFLINEEVENT, uninstall) carries
 * the binding's format the same way. `userId` is the user the tokens are for (0 = none).
 */
export function deliveryFor(binding: Binding, event: string, userId: number, data: unknown, tsSeconds: number): DeliveryMessage {
  return {
    memberId: binding.memberId,
    clientId: binding.clientId,
    bindingId: binding.id,
    event,
    handler: binding.handler,
    userId,
    data,
    ts: tsSeconds,
    ...(binding.options.format ? { format: binding.options.format } : {}),
    ...(binding.options.fallback === 'offline' ? { fallback: { connector: binding.connector } } : {}),
  };
}

export interface MintedTokens {
  access_token: string;
  expires: number;
  expires_in: number;
  scope: string;
  user_id: number;
  refresh_token?: string;
}

export interface AuthContext {
  domain: string;
  client_endpoint: string;
  server_endpoint: string;
  member_id: string;
  application_token: string;
  /** The application's status letter; outgoing webhooks have none. */
  status?: string;
}

export interface DeliveryPayload {
  event: string;
  event_handler_id: number;
  data: unknown;
  ts: number;
  auth: Record<string, unknown>;
}

export function buildPayload(input: { event: string; bindingId: number; data: unknown; ts: number; context: AuthContext; tokens?: MintedTokens }): DeliveryPayload {
  const { context, tokens } = input;
  return {
    event: input.event,
    event_handler_id: input.bindingId,
    data: input.data,
    ts: input.ts,
    // Bitrix24's key order: tokens first, then the portal and application.
    auth: {
      ...(tokens ? { access_token: tokens.access_token, expires: tokens.expires, expires_in: tokens.expires_in, scope: tokens.scope } : {}),
      domain: context.domain,
      server_endpoint: context.server_endpoint,
      ...(context.status !== undefined ? { status: context.status } : {}),
      client_endpoint: context.client_endpoint,
      member_id: context.member_id,
      ...(tokens ? { user_id: tokens.user_id } : {}),
      ...(tokens?.refresh_token ? { refresh_token: tokens.refresh_token } : {}),
      application_token: context.application_token,
    },
  };
}

/** The REST base (`client_endpoint`) and OAuth base (`server_endpoint`) of this service. */
export function endpoints(publicUrl: string): { client_endpoint: string; server_endpoint: string } {
  return { client_endpoint: `${publicUrl}/rest/`, server_endpoint: `${publicUrl}/oauth/` };
}

export type PayloadFormat = 'form' | 'json';

/**
 * The request body: `application/x-www-form-urlencoded` with PHP-style nested keys
 * (`data[FIELDS][ID]=7405`), byte for byte what Bitrix24's PHP (`http_build_query`) sends
 * (`true` → `1`, `false` → `0`, null and empty arrays left out; see php-query.ts), or JSON,
 * which keeps JSON's types.
 */
export function encodePayload(payload: DeliveryPayload, format: PayloadFormat): { body: string; contentType: string } {
  if (format === 'json') return { body: JSON.stringify(payload), contentType: 'application/json' };
  return { body: httpBuildQuery(payload as unknown as Record<string, unknown>), contentType: 'application/x-www-form-urlencoded' };
}

/** A per-application signing secret in the Standard Webhooks format (`whsec_` + base64 key). */
export const newSigningSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

/**
 * Standard Webhooks headers (https://www.standardwebhooks.com): the signature is
 * base64(HMAC-SHA256(key, `${id}.${timestamp}.${body}`)), where key is the secret's
 * base64 part decoded.
 */
export function signatureHeaders(secret: string, id: string, timestampSeconds: number, body: string): Record<string, string> {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(timestampSeconds), 'webhook-signature': `v1,${signature}` };
}

/** A delivery's id: the Standard Webhooks `webhook-id`, minted once when it is first queued and kept across retries. */
export const newDeliveryId = (): string => `msg_${randomUUID()}`;
