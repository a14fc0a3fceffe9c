import { timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod';
import { CLIENT_ID, MEMBER_ID } from '../domain/credentials';
import { errors } from '../domain/errors';
import type { NotWritten, PublishRequest, PublishResult } from '../usecases/publish';
import { bodyText, header } from './request';
import { CORS_HEADERS, successResponse, timeBlock, toBitrixError } from './response';
import { argumentError } from './rest-method';

/** Events per publish request (docs/producer.md: one request is one "hit"). */
export const MAX_EVENTS_PER_PUBLISH = 100;
/** One event's `data`, as JSON: Bitrix24 event data is small; a journal item must stay far below 400 KB. */
export const MAX_EVENT_DATA_BYTES = 64 * 1024;

const eventData = z.unknown().refine((data) => Buffer.byteLength(JSON.stringify(data ?? null)) <= MAX_EVENT_DATA_BYTES, {
  message: `must be at most ${MAX_EVENT_DATA_BYTES} bytes as JSON`,
});

/** The body of `POST /producer/events` (docs/producer.md). */
export const publishBody = z
  .object({
    member_id: z.string().regex(MEMBER_ID, 'must be 32 hex characters'),
    events: z
      .array(
        z
          .object({
            event: z.string().regex(/^[A-Za-z0-9_]{1,128}$/, 'must be an event name'),
            data: eventData.optional(),
            message_id: z.string().regex(/^[0-9a-fA-F]{32}$/, 'must be 32 hex characters').optional(),
            user_id: z.number().int().min(0).optional(),
            initiator: z
              .object({
                client_id: z.string().regex(CLIENT_ID, 'must be an application client_id'),
                auth_connector: z.string().max(128).optional(),
              })
              .strict()
              .optional(),
          })
          .strict(),
      )
      .min(1, 'must hold at least one event')
      .max(MAX_EVENTS_PER_PUBLISH, `must hold at most ${MAX_EVENTS_PER_PUBLISH} events`),
  })
  .strict();

export interface ProducerAuth {
  /** A shared key (`Authorization: Bearer <PRODUCER_KEY>`, the local runtime) or the route's IAM authorizer (AWS). */
  mode: 'key' | 'iam';
  key?: string | undefined;
}

function checkProducer(event: APIGatewayProxyEventV2, auth: ProducerAuth): void {
  if (auth.mode === 'iam') {
    if (!(event as APIGatewayProxyEventV2WithIAMAuthorizer).requestContext?.authorizer?.iam) throw errors.producerUnauthorized(auth.mode);
    return;
  }
  const presented = /^Bearer\s+(\S+)$/i.exec(header(event, 'authorization') ?? '')?.[1] ?? '';
  const a = Buffer.from(presented);
  const b = Buffer.from(auth.key ?? '');
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw errors.producerUnauthorized(auth.mode);
}

/**
 * A producer call as the publish use case takes it.
 * 1. Authenticate the producer. 2. Parse and validate the whole body. 3. Map the wire names.
 */
export function parseProducerCall(event: APIGatewayProxyEventV2, auth: ProducerAuth, maxBodyBytes: number): PublishRequest {
  checkProducer(event, auth);
  let json: unknown;
  try {
    json = JSON.parse(bodyText(event, maxBodyBytes));
  } catch (error) {
    if (error instanceof SyntaxError) throw errors.badRequest('Request body is not valid JSON');
    throw error;
  }
  const parsed = publishBody.safeParse(json);
  if (!parsed.success) throw argumentError(parsed.error);
  return {
    memberId: parsed.data.member_id,
    events: parsed.data.events.map((e) => ({
      event: e.event,
      data: e.data === undefined ? {} : e.data,
      ...(e.message_id !== undefined ? { messageId: e.message_id } : {}),
      ...(e.user_id !== undefined ? { userId: e.user_id } : {}),
      ...(e.initiator ? { initiator: { clientId: e.initiator.client_id, connector: e.initiator.auth_connector ?? '' } } : {}),
    })),
  };
}

/** One entry of `not_written` in the producer's answer (docs/producer.md, "Partial failures"). */
export interface WireNotWritten {
  /** The event's position in the request (absent for an ONOFFLINEEVENT notification). */
  index?: number;
  event: string;
  message_id?: string;
  type: NotWritten['kind'];
  binding_id?: number;
  client_id: string;
  auth_connector?: string;
  error: string;
  error_description: string;
}

/**
 * The producer's answer as the wire carries it, and whether a store error behind it was
 * unexpected (to be logged as an error, not a warning). Capacity and throttling become
 * QUERY_LIMIT_EXCEEDED (wire/response.ts), anything else INTERNAL_SERVER_ERROR.
 */
export function publishAnswer(result: PublishResult): { result: Record<string, unknown>; notWritten: (WireNotWritten & { unexpected: boolean; cause: unknown })[] } {
  const notWritten = result.notWritten.map((n) => {
    const mapped = toBitrixError(n.error);
    return {
      ...(n.index >= 0 ? { index: n.index } : {}),
      event: n.event,
      ...(n.messageId !== undefined ? { message_id: n.messageId } : {}),
      type: n.kind,
      ...(n.bindingId !== undefined ? { binding_id: n.bindingId } : {}),
      client_id: n.clientId,
      ...(n.connector !== undefined ? { auth_connector: n.connector } : {}),
      error: mapped.error.code,
      error_description: mapped.error.description,
      unexpected: mapped.unexpected && mapped.error.code !== 'QUERY_LIMIT_EXCEEDED',
      cause: n.error,
    };
  });
  return {
    result: {
      deliveries_queued: result.deliveries_queued,
      notifications_queued: result.notifications_queued,
      records_created: result.records_created,
      records_merged: result.records_merged,
      records_suppressed: result.records_suppressed,
      duplicates_skipped: result.duplicates_skipped,
      not_written: notWritten.map(({ unexpected: _u, cause: _c, ...entry }) => entry),
    },
    notWritten,
  };
}

/**
 * The HTTP answer: 200 when everything was written; otherwise 503 QUERY_LIMIT_EXCEEDED, so
 * producers and SDKs retry, with the same `result` saying what was written and what was not.
 */
export function publishResponse(answer: ReturnType<typeof publishAnswer>, startedMs: number, processingMs: number): APIGatewayProxyStructuredResultV2 {
  if (answer.notWritten.length === 0) return successResponse({ result: answer.result }, startedMs, processingMs);
  return {
    statusCode: 503,
    headers: { 'content-type': 'application/json; charset=utf-8', ...CORS_HEADERS },
    body: JSON.stringify({
      error: 'QUERY_LIMIT_EXCEEDED',
      error_description: `${answer.notWritten.length} deliveries or journal writes of this request were not made (listed in result.not_written); everything else was. Retry: with message_id, a retry makes only what is missing`,
      result: answer.result,
      time: timeBlock(startedMs, processingMs),
    }),
  };
}
