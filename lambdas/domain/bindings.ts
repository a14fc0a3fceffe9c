import type { EventCatalog } from './catalog';
import { errors } from './errors';
import type { Binding, BindingOptions, Caller } from './model';

/** The event that announces new offline records (docs/notifications.md). */
export const OFFLINE_NOTIFICATION_EVENT = 'ONOFFLINEEVENT';
export const DEFAULT_MIN_TIMEOUT = 1;
/** One day: a longer quiet window would rather be polling. */
export const MAX_MIN_TIMEOUT = 86400;

export interface BindRequest {
  event: string;
  handler?: string;
  authType?: number;
  eventType: 'online' | 'offline';
  connector: string;
  /** Per-event options as sent (`options[minTimeout]=5`); only ONOFFLINEEVENT reads any. */
  options?: Record<string, unknown>;
}

/** A binding ready to store: everything but the id and creation time, which storage assigns. */
export type NewBinding = Omit<Binding, 'id' | 'createdAt'>;

/**
 * Applies every rule of `event.bind` (docs/rest-api.md) and returns the binding to store.
 * Throws the Bitrix error of the first rule broken.
 */
export function planBinding(caller: Caller, request: BindRequest, catalog: EventCatalog): NewBinding {
  const event = request.event.trim().toUpperCase();
  if (event === '') throw errors.argumentEmpty('event');
  if (!catalog.isAvailable(event, caller.installation.scopes)) throw errors.eventNotFound();

  const base = { memberId: caller.memberId, clientId: caller.clientId, event, connector: request.connector };

  if (request.eventType === 'offline') {
    if (!caller.admin) throw errors.accessDenied('Offline events binding requires administrator access rights');
    if (event === OFFLINE_NOTIFICATION_EVENT) {
      throw errors.argument('EVENT_TYPE', `Event ${OFFLINE_NOTIFICATION_EVENT} cannot be bound offline`);
    }
    // Offline bindings have no handler and no user: the application pulls them itself.
    return { ...base, offline: true, handler: '', userId: 0, options: {} };
  }

  const handler = (request.handler ?? '').trim();
  if (handler === '') throw errors.argumentEmpty('handler');
  checkHandlerUrl(handler, caller.installation.handlerHosts);

  return {
    ...base,
    offline: false,
    handler,
    userId: bindingUser(caller, request.authType),
    options: bindingOptions(event, request.options),
  };
}

/**
 * Whose authorization the handler gets. An administrator may name any user (0 = the user who
 * caused the event); anyone else binds only for himself.
 */
function bindingUser(caller: Caller, authType: number | undefined): number {
  if (caller.admin) return authType ?? 0;
  if (authType === undefined || authType === 0 || authType === caller.userId) return caller.userId;
  throw errors.accessDenied('Only an administrator can bind an event handler for another user');
}

function bindingOptions(event: string, options: BindRequest['options']): BindingOptions {
  const option = (name: string): unknown => {
    const key = Object.keys(options ?? {}).find((k) => k.toLowerCase() === name.toLowerCase());
    return key === undefined ? undefined : options![key];
  };
  // Beyond Bitrix24: options[format]=json asks for JSON bodies instead of PHP-style forms.
  const rawFormat = option('format');
  let format: BindingOptions['format'];
  if (rawFormat !== undefined && rawFormat !== '') {
    const wanted = typeof rawFormat === 'string' ? rawFormat.trim().toLowerCase() : '';
    if (wanted !== 'json' && wanted !== 'form') throw errors.argument('OPTIONS', 'Option format must be json or form');
    format = wanted;
  }
  const withFormat: BindingOptions = { ...(format ? { format } : {}), ...fallbackOption(option('fallback')) };
  if (event !== OFFLINE_NOTIFICATION_EVENT) return withFormat;
  // An announcement of journal records is not itself journaled.
  if (withFormat.fallback) throw errors.argument('OPTIONS', `Option fallback is not available for ${OFFLINE_NOTIFICATION_EVENT}`);
  const raw = option('minTimeout');
  if (raw === undefined || raw === '') return { minTimeout: DEFAULT_MIN_TIMEOUT, ...withFormat };
  const value = typeof raw === 'string' && /^\s*\d{1,9}\s*$/.test(raw) ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_MIN_TIMEOUT) {
    throw errors.argument('OPTIONS', `Option minTimeout must be an integer from 0 to ${MAX_MIN_TIMEOUT} (seconds)`);
  }
  return { minTimeout: value, ...withFormat };
}

/** Beyond Bitrix24: options[fallback]=offline journals a delivery that finally failed (docs/delivery.md); `none` or empty = off. */
function fallbackOption(raw: unknown): Pick<BindingOptions, 'fallback'> {
  if (raw === undefined || raw === '') return {};
  const wanted = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (wanted === 'offline') return { fallback: 'offline' };
  if (wanted === 'none') return {};
  throw errors.argument('OPTIONS', 'Option fallback must be offline or none');
}

/**
 * The handler must be an http(s) URL whose host has a dot (no `localhost`, no bare names)
 * and, when the application declares hosts, is one of them or a subdomain of one.
 * Addresses are checked again at delivery time (SSRF guard, docs/delivery.md).
 */
export function checkHandlerUrl(handler: string, allowedHosts: readonly string[]): void {
  let url: URL;
  try {
    url = new URL(handler);
  } catch {
    // Bitrix answers a scheme-less or garbled URL as an unsupported protocol.
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(handler)) throw errors.unsupportedProtocol();
    throw errors.wrongHandlerUrl('the URL cannot be parsed');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw errors.unsupportedProtocol();
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) {
    // Refused by name, as on Bitrix24; the address itself may be allowed (HANDLER_ALLOW_PRIVATE).
    throw errors.wrongHandlerUrl('localhost is refused as a host name: write the address, e.g. http://127.0.0.1:8080/…, which the local runtime accepts');
  }
  if (!host.includes('.')) {
    throw errors.wrongHandlerUrl('the host must be a domain name with a dot, or an IPv4 address');
  }
  if (url.username !== '' || url.password !== '') throw errors.wrongHandlerUrl('credentials in the URL are not allowed');
  if (allowedHosts.length > 0) {
    const allowed = allowedHosts.some((h) => {
      const wanted = h.toLowerCase();
      return host === wanted || host.endsWith(`.${wanted}`);
    });
    if (!allowed) throw errors.wrongHandlerUrl(`the host must belong to the application (${allowedHosts.join(', ')})`);
  }
}

export interface UnbindRequest {
  event: string;
  handler?: string;
  authType?: number;
  eventType: 'online' | 'offline';
  /** Offline: the queue's connector (absent = the queue without one). Online: narrows when given. */
  connector?: string;
}

/** Which of an application's bindings of one event `event.unbind` removes (docs/rest-api.md). */
export function unbindMatcher(caller: Caller, request: UnbindRequest): { event: string; matches: (b: Binding) => boolean } {
  const event = request.event.trim().toUpperCase();
  if (event === '') throw errors.argumentEmpty('event');

  if (request.eventType === 'offline') {
    if (!caller.admin) throw errors.accessDenied('Offline events unbinding requires administrator access rights');
    const connector = request.connector ?? '';
    return { event, matches: (b) => b.offline && b.connector === connector };
  }

  const handler = (request.handler ?? '').trim();
  if (handler === '') throw errors.argumentEmpty('handler');
  let user: number | undefined = request.authType;
  if (!caller.admin) {
    if (user !== undefined && user !== 0 && user !== caller.userId) {
      throw errors.accessDenied('Only an administrator can unbind an event handler of another user');
    }
    user = caller.userId;
  }
  return {
    event,
    matches: (b) =>
      !b.offline &&
      b.handler === handler &&
      (request.connector === undefined || b.connector === request.connector) &&
      (user === undefined || b.userId === user),
  };
}

/** The bindings `event.get` shows a caller: an administrator every one, a user his own online ones. */
export function visibleBindings(caller: Caller, bindings: readonly Binding[]): Binding[] {
  return bindings.filter((b) => caller.admin || (!b.offline && b.userId === caller.userId));
}
