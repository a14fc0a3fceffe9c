import { errors } from './errors';
import { parseTimestamp } from './journal';
import { ATTEMPT_STATUSES, type AttemptFilter, type AttemptStatus, type DeliveryAttempt } from './ports';

/**
 * The delivery history's filters (`event.delivery.list` and `event.delivery.resend`,
 * docs/delivery.md "Delivery history"): `STATUS` (one or a list), `EVENT_NAME`, `HANDLER`,
 * `>=DATE_CREATE`, `<DATE_CREATE`. Anything else is a 400 naming the key.
 */
export const HISTORY_FILTER_KEYS = ['STATUS', 'EVENT_NAME', 'HANDLER', '>=DATE_CREATE', '<DATE_CREATE'] as const;

/** Wire names of the statuses (`fell back` is written `fallback`). */
export const STATUS_NAMES: Record<AttemptStatus, string> = { delivered: 'delivered', deferred: 'deferred', failed: 'failed', fallback: 'fallback', dropped: 'dropped' };

/** The status of a row; rows written before statuses existed read by `ok`. */
export const statusOf = (a: DeliveryAttempt): AttemptStatus => a.outcome ?? (a.ok ? 'delivered' : 'failed');

/** A delivery id as handed out (`msg_` + UUID): anything else is refused before any read. */
export const DELIVERY_ID = /^msg_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function parseHistoryFilter(raw: unknown): AttemptFilter {
  if (raw === undefined || raw === null || raw === '' || (Array.isArray(raw) && raw.length === 0)) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw errors.argument('FILTER', 'Filter must be an object');
  const filter: { -readonly [K in keyof AttemptFilter]: AttemptFilter[K] } = {};
  for (const [rawKey, value] of Object.entries(raw as Record<string, unknown>)) {
    const key = rawKey.trim().toUpperCase();
    const one = (): string => {
      const v = Array.isArray(value) && value.length === 1 ? value[0] : value;
      if (typeof v !== 'string' && typeof v !== 'number') throw errors.argument('FILTER', `Filter '${rawKey}' needs one value`);
      return String(v).trim();
    };
    switch (key) {
      case 'STATUS': {
        const list = Array.isArray(value) ? value : [value];
        if (list.length === 0) throw errors.argument('FILTER', `Filter '${rawKey}' needs a value`);
        filter.outcomes = list.map((v) => {
          const name = typeof v === 'string' ? v.trim().toLowerCase().replace(/[\s_-]+/g, ' ') : '';
          const status = name === 'fell back' || name === 'fellback' ? 'fallback' : (ATTEMPT_STATUSES.find((s) => s === name) ?? undefined);
          if (!status) throw errors.argument('FILTER', `Filter STATUS must be one of ${ATTEMPT_STATUSES.join(', ')}`);
          return status;
        });
        break;
      }
      case 'EVENT_NAME':
        filter.event = one().toUpperCase();
        break;
      case 'HANDLER':
        filter.handler = one();
        break;
      case '>=DATE_CREATE':
      case '<DATE_CREATE': {
        const ms = parseTimestamp(one());
        if (ms === undefined) throw errors.argument('FILTER', `Filter '${rawKey}' must be a date (ISO 8601)`);
        if (key === '>=DATE_CREATE') filter.from = ms;
        else filter.before = ms;
        break;
      }
      default:
        throw errors.argument('FILTER', `Filter '${rawKey}' is not supported: use ${HISTORY_FILTER_KEYS.join(', ')}`);
    }
  }
  return filter;
}

/** Whether a row passes a filter (the in-memory fake and the adapter's checks agree on this). */
export function matchesAttempt(a: DeliveryAttempt, f: AttemptFilter): boolean {
  return (
    (f.outcomes === undefined || f.outcomes.includes(statusOf(a))) &&
    (f.event === undefined || a.event === f.event) &&
    (f.handler === undefined || a.handler === f.handler) &&
    (f.from === undefined || a.at >= f.from) &&
    (f.before === undefined || a.at < f.before) &&
    (f.bindingIds === undefined || f.bindingIds.includes(a.bindingId))
  );
}

/** Newest first; ties by delivery id then attempt (what the adapter's sort key gives). */
export function newestFirst(a: DeliveryAttempt, b: DeliveryAttempt): number {
  return b.at - a.at || (a.deliveryId < b.deliveryId ? 1 : a.deliveryId > b.deliveryId ? -1 : 0) || b.attempt - a.attempt;
}
