import { DELIVERY_ID, parseHistoryFilter } from '../domain/delivery-history';
import { errors } from '../domain/errors';
import { switchedOff, type SwitchOff } from '../domain/handler-health';
import type { Binding, Caller } from '../domain/model';
import type { AttemptFilter, BindingStore, DeliveryAttempt, DeliveryLog, DeliveryMessage, DeliveryQueue } from '../domain/ports';

/** Delivery history, replay and switched-off handlers (docs/delivery.md): the caller's application only. */

export const HISTORY_PAGE_SIZE = 50;
/** The deepest page `event.delivery.list` serves (`start` beyond it is a 400: narrow the filter). */
export const MAX_HISTORY_START = 10_000;
/** The most deliveries one `event.delivery.resend` queues; a filter that matches more is a 400. */
export const MAX_RESEND = 1000;

export interface HistoryDeps {
  log: DeliveryLog;
  bindings: BindingStore;
}

export interface ResendDeps extends HistoryDeps {
  queue: DeliveryQueue;
  /** How long attempts (and the payload a resend needs) are kept, ms. */
  retentionMs: number;
}

/**
 * What a caller may see: an administrator every attempt of the application, another user
 * those of his own online bindings (as `event.get` shows them).
 */
async function scope(deps: HistoryDeps, caller: Caller, filter: AttemptFilter): Promise<AttemptFilter> {
  if (caller.admin) return filter;
  const own = (await deps.bindings.listByApplication(caller.memberId, caller.clientId)).filter((b) => !b.offline && b.userId === caller.userId).map((b) => b.id);
  return { ...filter, bindingIds: own };
}

export interface HistoryPage {
  attempts: DeliveryAttempt[];
  total?: number;
  next?: number;
}

/** `event.delivery.list`: newest first, 50 a page; `start=-1` leaves the count (total, next) out. */
export async function listDeliveries(deps: HistoryDeps, caller: Caller, request: { filter?: unknown; start: number }): Promise<HistoryPage> {
  const filter = await scope(deps, caller, parseHistoryFilter(request.filter));
  if (request.start > MAX_HISTORY_START) throw errors.argument('START', `START must be at most ${MAX_HISTORY_START}: narrow the filter by date instead`);
  const offset = Math.max(0, request.start);
  if (filter.bindingIds?.length === 0) return request.start < 0 ? { attempts: [] } : { attempts: [], total: 0 };
  const rows = await deps.log.listAttempts(caller.memberId, caller.clientId, offset + HISTORY_PAGE_SIZE, filter);
  const attempts = rows.slice(offset, offset + HISTORY_PAGE_SIZE);
  if (request.start < 0) return { attempts };
  const total = await deps.log.countAttempts(caller.memberId, caller.clientId, filter);
  return { attempts, total, ...(offset + HISTORY_PAGE_SIZE < total ? { next: offset + HISTORY_PAGE_SIZE } : {}) };
}

export interface ResendRequest {
  ids?: string[];
  filter?: unknown;
}

/** The delivery an attempt row stands for, queued again as it was first queued (same id, fresh attempts). */
export function messageOf(a: DeliveryAttempt): DeliveryMessage {
  return {
    memberId: a.memberId,
    clientId: a.clientId,
    bindingId: a.bindingId,
    event: a.event,
    handler: a.handler,
    userId: a.userId ?? 0,
    data: a.data,
    ts: a.ts ?? Math.floor(a.at / 1000),
    ...(a.format ? { format: a.format } : {}),
    ...(a.fallback ? { fallback: a.fallback } : {}),
    deliveryId: a.deliveryId,
    attempt: 1,
  };
}

/**
 * `event.delivery.resend`: with `ids`, those deliveries (each must be the caller's and kept:
 * one bad id and nothing is queued); with `filter`, every delivery with an attempt that
 * matches (at most MAX_RESEND). Each goes out again with its original payload and webhook-id.
 */
export async function resendDeliveries(deps: ResendDeps, caller: Caller, request: ResendRequest, now: number): Promise<{ count: number }> {
  const hasIds = request.ids !== undefined && request.ids.length > 0;
  const hasFilter = request.filter !== undefined && request.filter !== '' && !(Array.isArray(request.filter) && request.filter.length === 0);
  if (hasIds === hasFilter) throw errors.argument('ID', 'Pass either ID (one delivery id or a list) or FILTER, not both and not neither');
  const asked = hasFilter ? parseHistoryFilter(request.filter) : {};
  // Everything the log holds is never resent by accident: a filter must narrow.
  if (hasFilter && Object.keys(asked).length === 0) throw errors.argument('FILTER', 'FILTER must name at least one condition (for example STATUS and >=DATE_CREATE)');
  const visible = await scope(deps, caller, asked);
  const allowed = (a: DeliveryAttempt) => visible.bindingIds === undefined || visible.bindingIds.includes(a.bindingId);
  const expiredBefore = now - deps.retentionMs;
  const days = Math.round(deps.retentionMs / 86_400_000);

  let rows: DeliveryAttempt[];
  if (hasIds) {
    const ids = [...new Set(request.ids)];
    if (ids.length > MAX_RESEND) throw errors.argument('ID', `At most ${MAX_RESEND} ids per call`);
    for (const id of ids) if (!DELIVERY_ID.test(id)) throw errors.argument('ID', `Delivery id ${JSON.stringify(id.slice(0, 60))} is malformed (msg_ followed by a UUID)`);
    rows = [];
    for (const id of ids) {
      const row = await deps.log.findDelivery(caller.memberId, caller.clientId, id);
      // Another application's delivery is answered exactly like an unknown one.
      if (!row || !allowed(row)) throw errors.argument('ID', `Delivery ${id} not found: unknown, not this application's, or older than the attempt-log retention (${days} days)`);
      if (row.at < expiredBefore || row.ts === undefined) throw errors.argument('ID', `Delivery ${id} has expired: its payload is kept ${days} days after its last attempt`);
      rows.push(row);
    }
  } else {
    if (visible.bindingIds?.length === 0) return { count: 0 };
    const matching = await deps.log.listAttempts(caller.memberId, caller.clientId, MAX_RESEND * 4 + 1, { ...visible, from: Math.max(visible.from ?? 0, expiredBefore) });
    const newest = new Map<string, DeliveryAttempt>();
    for (const row of matching) if (!newest.has(row.deliveryId) && row.ts !== undefined) newest.set(row.deliveryId, row);
    if (newest.size > MAX_RESEND || matching.length > MAX_RESEND * 4) {
      throw errors.argument('FILTER', `The filter matches more than ${MAX_RESEND} deliveries: narrow it (for example by >=DATE_CREATE and <DATE_CREATE) and resend in parts`);
    }
    rows = [...newest.values()];
  }
  const messages = rows.map(messageOf);
  for (let i = 0; i < messages.length; i += 100) await deps.queue.enqueue(messages.slice(i, i + 100));
  return { count: messages.length };
}

/**
 * `event.delivery.enable`: switches a handler back on for the caller's application. An
 * administrator may switch on any handler of the application; another user one of his own
 * bindings'. True when it was off.
 */
export async function enableHandler(deps: HistoryDeps, caller: Caller, handler: string, now: number): Promise<boolean> {
  const url = handler.trim();
  if (url === '') throw errors.argumentEmpty('handler');
  const bindings = await deps.bindings.listByApplication(caller.memberId, caller.clientId);
  const mine = bindings.some((b) => !b.offline && b.handler === url && (caller.admin || b.userId === caller.userId));
  if (!mine) throw errors.argument('HANDLER', 'No binding of this application has this handler');
  return deps.log.switchOn(url, caller.memberId, caller.clientId, now);
}

/** Whether each online binding's handler is switched off for its application (what `event.get` shows). */
export async function switchOffs(log: DeliveryLog, bindings: readonly Binding[]): Promise<Map<string, SwitchOff>> {
  const handlers = [...new Set(bindings.filter((b) => !b.offline).map((b) => b.handler))];
  const found = new Map<string, SwitchOff>();
  await Promise.all(
    handlers.map(async (handler) => {
      const b = bindings.find((x) => x.handler === handler)!;
      const off = switchedOff(await log.getHealth(handler), b.memberId, b.clientId);
      if (off) found.set(handler, off);
    }),
  );
  return found;
}
