import { timingSafeEqual } from 'node:crypto';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod';
import { MEMBER_ID, CLIENT_ID } from '../domain/credentials';
import { BitrixError, errors } from '../domain/errors';
import { publish } from '../usecases/publish';
import { logger } from '../wire/logger';
import { recordPublish } from '../wire/metrics';
import { bodyText, header } from '../wire/request';
import { successResponse } from '../wire/response';
import { argumentError, failureResponse, type RestHandler } from '../wire/rest-method';
import { wiring } from '../wiring';
// The outbound adapters this function uses (see Outbound in wiring.ts).
import '../outbound/queue';
import '../outbound/scheduler';

/** Events per publish request (SPEC §4: one request is one "hit"). */
export const MAX_EVENTS_PER_PUBLISH = 100;
/** One event's `data`, as JSON: Bitrix24 event data is small; a journal item must stay far below 400 KB. */
export const MAX_EVENT_DATA_BYTES = 64 * 1024;

const eventData = z.unknown().refine((data) => Buffer.byteLength(JSON.stringify(data ?? null)) <= MAX_EVENT_DATA_BYTES, {
  message: `must be at most ${MAX_EVENT_DATA_BYTES} bytes as JSON`,
});

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

const unauthorized = () => new BitrixError('NO_AUTH_FOUND', 'Producer credentials are missing or wrong', 401);

/** Locally a shared key (`Authorization: Bearer <PRODUCER_KEY>`); on AWS the route's IAM authorizer. */
function checkProducer(event: APIGatewayProxyEventV2, mode: 'key' | 'iam', key: string | undefined): void {
  if (mode === 'iam') {
    const iam = (event as APIGatewayProxyEventV2WithIAMAuthorizer).requestContext?.authorizer?.iam;
    if (!iam) throw unauthorized();
    return;
  }
  const presented = /^Bearer\s+(\S+)$/i.exec(header(event, 'authorization') ?? '')?.[1] ?? '';
  const a = Buffer.from(presented);
  const b = Buffer.from(key ?? '');
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw unauthorized();
}

/**
 * `POST /producer/events` (SPEC §4).
 * 1. Authenticate the producer. 2. Validate the whole body. 3. Publish: fan-out to bindings.
 */
export async function publishHttp(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const started = Date.now();
  try {
    const deps = wiring();
    checkProducer(event, deps.config.PRODUCER_AUTH, deps.config.PRODUCER_KEY);
    const text = bodyText(event, deps.config.MAX_BODY_BYTES);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw errors.badRequest('Request body is not valid JSON');
    }
    const parsed = publishBody.safeParse(json);
    if (!parsed.success) throw argumentError(parsed.error);
    logger.appendKeys({ member_id: parsed.data.member_id, events: parsed.data.events.length });
    const result = await publish(
      deps,
      {
        memberId: parsed.data.member_id,
        events: parsed.data.events.map((e) => ({
          event: e.event,
          data: e.data === undefined ? {} : e.data,
          ...(e.message_id !== undefined ? { messageId: e.message_id } : {}),
          ...(e.user_id !== undefined ? { userId: e.user_id } : {}),
          ...(e.initiator ? { initiator: { clientId: e.initiator.client_id, connector: e.initiator.auth_connector ?? '' } } : {}),
        })),
      },
      started,
    );
    logger.info('published', { ...result });
    recordPublish(parsed.data.events.length, result);
    return successResponse({ result }, started, Date.now() - started);
  } catch (error) {
    return failureResponse(error);
  }
}

export const handler = middy(publishHttp).use(injectLambdaContext(logger, { resetKeys: true })) as unknown as RestHandler;
