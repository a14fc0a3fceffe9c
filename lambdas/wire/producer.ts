import { timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyEventV2WithIAMAuthorizer } from 'aws-lambda';
import * as z from 'zod';
import { CLIENT_ID, MEMBER_ID } from '../domain/credentials';
import { errors } from '../domain/errors';
import type { PublishRequest } from '../usecases/publish';
import { bodyText, header } from './request';
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
