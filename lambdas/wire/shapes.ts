import * as z from 'zod';
import { formatTimestamp } from '../domain/journal';
import { statusOf } from '../domain/delivery-history';
import type { SwitchOff } from '../domain/handler-health';
import type { Binding, JournalRecord } from '../domain/model';
import type { DeliveryAttempt } from '../domain/ports';
import type { QueueFigures } from '../usecases/offline';

/**
 * The Bitrix wire shapes of what the service answers: the field names of the wire format live
 * here, each shape as zod beside the function that writes it. The method descriptors name their
 * results with these, the OpenAPI document is generated from them, and the OpenAPI test parses
 * every real answer with them, so they cannot drift from what the service returns.
 */

const recordId = /* @__PURE__ */ z.string().regex(/^\d+$/).describe('Record ID: an integer as a string, unique in its queue, growing over time');

/** A journal record as `event.offline.get` hands it out (docs/journal.md). */
export const journalRecord = /* @__PURE__ */ z.strictObject({
  ID: recordId,
  TIMESTAMP_X: z.string().describe('When the record was last written, ISO 8601 with offset'),
  EVENT_NAME: z.string(),
  EVENT_DATA: z.unknown(),
  EVENT_ADDITIONAL: z.unknown().describe('For example {"user_id": 7}'),
  MESSAGE_ID: z.string().regex(/^[0-9a-f]{32}$/),
});

/** A record as `event.offline.get` hands it out. */
export function wireRecord(record: JournalRecord): z.input<typeof journalRecord> {
  return {
    ID: String(record.id),
    TIMESTAMP_X: formatTimestamp(record.timestamp),
    EVENT_NAME: record.eventName,
    EVENT_DATA: record.eventData,
    EVENT_ADDITIONAL: record.eventAdditional,
    MESSAGE_ID: record.messageId,
  };
}

/** A journal record as `event.offline.list` shows it. */
export const listedRecord = journalRecord.extend({
  PROCESS_ID: z.string().describe('"" while pending'),
  ERROR: z.enum(['0', '1']),
});

/** A record as `event.offline.list` shows it: also its process and error flag. */
export function wireListedRecord(record: JournalRecord): z.input<typeof listedRecord> {
  return { ...wireRecord(record), PROCESS_ID: record.processId, ERROR: record.error ? '1' : '0' };
}

/** Beyond Bitrix24: a handler switched off for the application (docs/delivery.md "Dead handlers"). */
export const SWITCHED_OFF = /* @__PURE__ */ z.strictObject({ since: z.string().describe('ISO 8601 with offset'), reason: z.string() });

export const onlineBinding = /* @__PURE__ */ z.strictObject({
  event: z.string(),
  handler: z.string(),
  auth_type: z.string(),
  offline: z.literal(0),
  fallback: z.literal('offline').optional().describe('Beyond Bitrix24: bound with options[fallback]=offline'),
  switched_off: SWITCHED_OFF.optional().describe('Beyond Bitrix24: the handler is switched off for this application (event.delivery.enable or binding again switches it on)'),
});
export const offlineBinding = /* @__PURE__ */ z.strictObject({ event: z.string(), connector_id: z.string(), offline: z.literal(1) });

/** A binding as `event.get` lists it, with its fallback and switch-off when it has them. */
export function wireBinding(b: Binding, off?: SwitchOff): z.input<typeof onlineBinding> | z.input<typeof offlineBinding> {
  if (b.offline) return { event: b.event, connector_id: b.connector, offline: 1 };
  return {
    event: b.event,
    handler: b.handler,
    auth_type: String(b.userId),
    offline: 0,
    ...(b.options.fallback ? { fallback: b.options.fallback } : {}),
    ...(off ? { switched_off: { since: formatTimestamp(off.at), reason: off.reason } } : {}),
  };
}

/** One attempt as `event.delivery.list` shows it (docs/delivery.md "Delivery history"). */
export const deliveryRow = /* @__PURE__ */ z.strictObject({
  ID: z.string().describe('The delivery id: the Standard Webhooks webhook-id header, the same for every attempt and resend'),
  EVENT_NAME: z.string(),
  EVENT_HANDLER_ID: z.string().describe('The binding (event_handler_id)'),
  HANDLER: z.string(),
  ATTEMPT: z.number().int().min(1),
  STATUS: z.enum(['delivered', 'deferred', 'failed', 'fallback', 'dropped']),
  HTTP_STATUS: z.number().int().min(0).describe('0 when there was no answer (refused, timed out, not sent)'),
  ERROR: z.string().describe('"" when delivered'),
  LATENCY_MS: z.number().int().min(0),
  DATE_CREATE: z.string().describe('When the attempt was made, ISO 8601 with offset'),
});

export function wireAttempt(a: DeliveryAttempt): z.input<typeof deliveryRow> {
  return {
    ID: a.deliveryId,
    EVENT_NAME: a.event,
    EVENT_HANDLER_ID: String(a.bindingId),
    HANDLER: a.handler,
    ATTEMPT: a.attempt,
    STATUS: statusOf(a),
    HTTP_STATUS: a.status,
    ERROR: a.error ?? '',
    LATENCY_MS: Math.max(0, Math.round(a.latencyMs)),
    DATE_CREATE: formatTimestamp(a.at),
  };
}

/** A map keyed like `batch`'s `cmd` (or a list); an empty map is written as []. */
export const keyed = <T extends z.ZodType>(value: T) => z.union([z.record(z.string(), value), z.array(value)]).describe('Keyed like `cmd`; an empty map is written as []');

/** Every error answer, and each failed sub-call in `batch`. */
export const ERROR_BODY = /* @__PURE__ */ z.strictObject({
  error: z.string(),
  error_description: z.string(),
  argument: z.string().optional().describe('With ERROR_ARGUMENT: the argument at fault, upper-case'),
});

/** The `time` block of every successful answer (the JS SDK fails without it). */
export const TIME_BLOCK = /* @__PURE__ */ z.strictObject({
  start: z.number(),
  finish: z.number(),
  duration: z.number(),
  processing: z.number(),
  date_start: z.string(),
  date_finish: z.string(),
  operating_reset_at: z.number().int(),
  operating: z.number(),
});

/** `total` and `next` of a paged list. */
export const PAGED = { total: z.number().int().optional(), next: z.number().int().optional() };

/** Beyond Bitrix24: the queue's figures next to `event.offline.get`'s result. */
export const QUEUE_FIGURES = /* @__PURE__ */ z.strictObject({
  pending: z.number().int().min(0),
  pending_exact: z.boolean(),
  oldest_age: z.number().int().min(0).nullable(),
});

/** The queue's figures as `event.offline.get` adds them. */
export function wireQueueFigures(queue: QueueFigures): z.input<typeof QUEUE_FIGURES> {
  return { pending: queue.pending, pending_exact: queue.pendingExact, oldest_age: queue.oldestAge };
}

/** The producer's answer (docs/producer.md). */
export const PUBLISH_RESULT = /* @__PURE__ */ z.strictObject({
  deliveries_queued: z.number().int().min(0),
  notifications_queued: z.number().int().min(0),
  records_created: z.number().int().min(0),
  records_merged: z.number().int().min(0),
  records_suppressed: z.number().int().min(0),
});

/** The envelope of a successful call: `result`, the method's extra keys, `time`. */
export function successEnvelope(result: z.ZodType, envelope: z.ZodRawShape = {}): z.ZodType {
  return z.strictObject({ result, ...envelope, time: TIME_BLOCK });
}
