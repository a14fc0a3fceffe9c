import * as z from 'zod';
import { method as batch } from '../handlers/batch';
import { REST_METHODS } from '../handlers/methods';
import { MAX_EVENTS_PER_PUBLISH, publishBody } from '../handlers/publish';
import { isPreprocess, wireFormOf } from './params';
import type { RestMethod } from './rest-method';

/**
 * The OpenAPI 3.1 description of the REST surface and the producer endpoint (issue 7).
 *
 * Request schemas are generated from the same zod schemas the handlers validate with, so the
 * document cannot say something the service does not check. The result schemas below are
 * zod too: the OpenAPI test runs real calls and parses every answer with them, so they cannot
 * drift from what the handlers return either. `npm run openapi` writes the document to
 * `openapi.json`; the local runtime serves it at `/openapi.json`.
 */

/** The producer endpoint's name in component names (`producer_events_params`). */
const PRODUCER = 'producer.events';

const recordId = z.string().regex(/^\d+$/).describe('Record ID: an integer as a string, unique in its queue, growing over time');
const journalRecord = z.strictObject({
  ID: recordId,
  TIMESTAMP_X: z.string().describe('When the record was last written, ISO 8601 with offset'),
  EVENT_NAME: z.string(),
  EVENT_DATA: z.unknown(),
  EVENT_ADDITIONAL: z.unknown().describe('For example {"user_id": 7}'),
  MESSAGE_ID: z.string().regex(/^[0-9a-f]{32}$/),
});
const listedRecord = journalRecord.extend({
  PROCESS_ID: z.string().describe('"" while pending'),
  ERROR: z.enum(['0', '1']),
});
const onlineBinding = z.strictObject({ event: z.string(), handler: z.string(), auth_type: z.string(), offline: z.literal(0) });
const offlineBinding = z.strictObject({ event: z.string(), connector_id: z.string(), offline: z.literal(1) });
const keyed = <T extends z.ZodType>(value: T) => z.union([z.record(z.string(), value), z.array(value)]).describe('Keyed like `cmd`; an empty map is written as []');

/** Every error answer (docs/rest-api.md), and each failed sub-call in `batch`. */
export const ERROR_BODY = z.strictObject({
  error: z.string(),
  error_description: z.string(),
  argument: z.string().optional().describe('With ERROR_ARGUMENT: the argument at fault, upper-case'),
});

/** What each method puts in `result`. */
export const RESULT_SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  events: z.array(z.string()).describe('Event names'),
  'event.bind': z.literal(true),
  'event.unbind': z.strictObject({ count: z.number().int().min(0) }),
  'event.get': z.array(z.union([onlineBinding, offlineBinding])),
  'event.offline.get': z.strictObject({
    process_id: z.string().nullable().describe('null with clear=1; the reservation with clear=0'),
    events: z.array(journalRecord),
  }),
  'event.offline.list': z.array(listedRecord),
  'event.offline.clear': z.literal(true),
  'event.offline.error': z.literal(true),
  'event.test': z.literal(1),
  batch: z.strictObject({
    result: keyed(z.unknown()),
    result_error: keyed(ERROR_BODY),
    result_total: keyed(z.number()),
    result_next: keyed(z.number()),
    result_time: keyed(z.record(z.string(), z.unknown())),
  }),
};

/** The producer's answer (docs/producer.md). */
export const PUBLISH_RESULT = z.strictObject({
  deliveries_queued: z.number().int().min(0),
  notifications_queued: z.number().int().min(0),
  records_created: z.number().int().min(0),
  records_merged: z.number().int().min(0),
  records_suppressed: z.number().int().min(0),
});

/** `/oauth/token`: a refresh token for a new token pair, in Bitrix24's OAuth shape (docs/rest-api.md). */
export const OAUTH_TOKEN_PARAMS = z.object({
  grant_type: z.literal('refresh_token'),
  client_id: z.string().describe('The application (client_id)'),
  client_secret: z.string().describe('The client secret `install` printed'),
  refresh_token: z.string().describe('Works once: the answer carries the next one'),
});
export const OAUTH_TOKEN_RESULT = z.strictObject({
  access_token: z.string(),
  expires: z.number().int().describe('Unix seconds'),
  expires_in: z.number().int(),
  scope: z.string(),
  domain: z.string(),
  client_endpoint: z.string(),
  server_endpoint: z.string(),
  status: z.string(),
  member_id: z.string(),
  user_id: z.number().int(),
  refresh_token: z.string(),
});
/** OAuth errors: `{"error", "error_description"}` with OAuth 2.0 codes. */
const OAUTH_ERRORS = '`invalid_request`, `unsupported_grant_type`, `invalid_grant` (400); `invalid_client` (401)';
export const HEALTH_RESULT = z.strictObject({ status: z.literal('ok') });

const time = z.strictObject({
  start: z.number(),
  finish: z.number(),
  duration: z.number(),
  processing: z.number(),
  date_start: z.string(),
  date_finish: z.string(),
  operating_reset_at: z.number().int(),
  operating: z.number(),
});

/** Beyond Bitrix24: the queue's figures next to `event.offline.get`'s result. */
const queueFigures = z.strictObject({
  pending: z.number().int().min(0),
  pending_exact: z.boolean(),
  oldest_age: z.number().int().min(0).nullable(),
});

/** The envelope of a successful call (docs/rest-api.md). */
export function successEnvelope(method: string): z.ZodType {
  const result = method === PRODUCER ? PUBLISH_RESULT : RESULT_SCHEMAS[method];
  if (!result) throw new Error(`no result schema for ${method}`);
  return z.strictObject({
    result,
    ...(method === 'event.offline.list' ? { total: z.number().int().optional(), next: z.number().int().optional() } : {}),
    ...(method === 'event.offline.get' ? { queue: queueFigures } : {}),
    time,
  });
}

const ERROR_STATUSES: Record<string, string> = {
  '400': 'ERROR_ARGUMENT, ERROR_EVENT_NOT_FOUND, ERROR_WRONG_HANDLER_URL, ERROR_UNSUPPORTED_PROTOCOL, ERROR_CORE',
  '401': 'NO_AUTH_FOUND, INVALID_CREDENTIALS, invalid_token, expired_token, insufficient_scope',
  '403': 'ACCESS_DENIED',
  '404': 'ERROR_METHOD_NOT_FOUND',
  '413': 'ERROR_ARGUMENT: the body is over the bound',
  '503': 'QUERY_LIMIT_EXCEEDED',
};

type JsonSchema = Record<string, unknown>;

/**
 * zod → JSON Schema 2020-12 as a client writes the parameters. Parameters that accept several
 * spellings (`1`/`"1"`/`"Y"`, one value or a list) are normalised by a preprocess step; the
 * document shows every spelling the step accepts (wire/params.ts). A parameter is required only when
 * absence is refused.
 */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const out = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    override: (ctx) => {
      const def = ctx.zodSchema._zod.def as { type: string; shape?: Record<string, z.ZodType> };
      if (isPreprocess(ctx.zodSchema)) {
        const form = wireFormOf(ctx.zodSchema);
        if (!form) throw new Error('a preprocessed parameter without a wire form (wire/params.ts)');
        for (const key of Object.keys(ctx.jsonSchema)) if (key !== 'description') delete ctx.jsonSchema[key];
        Object.assign(ctx.jsonSchema, structuredClone(form));
      }
      if (def.type === 'object' && def.shape && Array.isArray(ctx.jsonSchema.required)) {
        const required = ctx.jsonSchema.required.filter((key) => !def.shape![key]!.safeParse(undefined).success);
        if (required.length > 0) ctx.jsonSchema.required = required;
        else delete ctx.jsonSchema.required;
      }
    },
  }) as JsonSchema;
  delete out.$schema;
  return out;
}

const errorResponses = Object.fromEntries(
  Object.entries(ERROR_STATUSES).map(([status, codes]) => [status, { description: codes, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }]),
);

/** Component names for a method's parameters and answer (`event_offline_get_params`). */
const componentName = (method: string, part: 'params' | 'response') => `${method.replace(/\./g, '_')}_${part}`;
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

function paramsSchema(method: RestMethod<z.ZodType>): JsonSchema {
  const params = jsonSchema(method.params, 'input');
  // Unknown parameters are ignored (the SDKs add bx24_request_id and friends).
  delete params.additionalProperties;
  params.properties = { ...(params.properties as JsonSchema), auth: { type: 'string', description: 'OAuth access token (or the `auth` query parameter, or Authorization: Bearer); not used with a webhook URL' } };
  return params;
}

function restOperation(method: RestMethod<z.ZodType>, webhook: boolean): JsonSchema {
  const params = ref(componentName(method.name, 'params'));
  return {
    operationId: `${webhook ? 'webhook_' : ''}${method.name.replace(/\./g, '_')}`,
    summary: `${method.name}${webhook ? ' (incoming webhook)' : ''}`,
    tags: [webhook ? 'webhook' : 'rest'],
    description: 'Parameters go in a JSON body, a PHP-style form body (`a[b]=1`) or the query string; the method name may end in `.json`.',
    ...(webhook ? { security: [] } : { security: [{ oauthQuery: [] }, { oauthHeader: [] }] }),
    requestBody: {
      required: false,
      content: { 'application/json': { schema: params }, 'application/x-www-form-urlencoded': { schema: params } },
    },
    responses: {
      '200': { description: 'Success', content: { 'application/json': { schema: ref(componentName(method.name, 'response')) } } },
      ...errorResponses,
    },
  };
}

/** Every REST method the service serves, `batch` included, in a stable order. */
export function restMethods(): RestMethod<z.ZodType>[] {
  return [...REST_METHODS.values(), batch as RestMethod<z.ZodType>];
}

/** The document. `serverUrl` adds a `servers` entry (the local runtime passes its base URL). */
export function openApiDocument(serverUrl?: string): JsonSchema {
  const paths: Record<string, JsonSchema> = {};
  const schemas: Record<string, JsonSchema> = { Error: jsonSchema(ERROR_BODY, 'output') };
  for (const method of restMethods()) {
    schemas[componentName(method.name, 'params')] = paramsSchema(method);
    schemas[componentName(method.name, 'response')] = jsonSchema(successEnvelope(method.name), 'output');
    paths[`/rest/${method.name}`] = { post: restOperation(method, false) };
    paths[`/rest/{user_id}/{secret}/${method.name}`] = {
      parameters: [
        { name: 'user_id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } },
        { name: 'secret', in: 'path', required: true, schema: { type: 'string' }, description: 'The incoming webhook secret' },
      ],
      post: restOperation(method, true),
    };
  }
  schemas[componentName(PRODUCER, 'params')] = jsonSchema(publishBody, 'input');
  schemas[componentName(PRODUCER, 'response')] = jsonSchema(successEnvelope(PRODUCER), 'output');
  paths['/producer/events'] = {
    post: {
      operationId: 'producer_publish',
      summary: 'Publish events (the platform side)',
      tags: ['producer'],
      description: `Up to ${MAX_EVENTS_PER_PUBLISH} events per request. Unknown portal or a malformed body is a 400 and nothing is written. Locally a shared key (Authorization: Bearer PRODUCER_KEY); on AWS the route's IAM authorizer (SigV4).`,
      security: [{ producerKey: [] }],
      requestBody: { required: true, content: { 'application/json': { schema: ref(componentName(PRODUCER, 'params')) } } },
      responses: {
        '200': { description: 'Published', content: { 'application/json': { schema: ref(componentName(PRODUCER, 'response')) } } },
        ...errorResponses,
      },
    },
  };
  schemas.oauth_token_params = jsonSchema(OAUTH_TOKEN_PARAMS, 'input');
  schemas.oauth_token_response = jsonSchema(OAUTH_TOKEN_RESULT, 'output');
  const oauthOperation = (verb: 'get' | 'post') => ({
    operationId: `oauth_token_${verb}`,
    summary: 'Refresh an access token (Bitrix24 OAuth shape)',
    tags: ['oauth'],
    description: `Parameters in the query string${verb === 'post' ? ' or a form/JSON body' : ''}; \`/oauth/token/\` (trailing slash) works too. Not rate-limited. Errors: ${OAUTH_ERRORS}.`,
    security: [],
    ...(verb === 'get'
      ? { parameters: Object.keys(OAUTH_TOKEN_PARAMS.shape).map((name) => ({ name, in: 'query', required: true, schema: { type: 'string' } })) }
      : {
          requestBody: {
            content: {
              'application/x-www-form-urlencoded': { schema: ref('oauth_token_params') },
              'application/json': { schema: ref('oauth_token_params') },
            },
          },
        }),
    responses: {
      '200': { description: 'A new token pair', content: { 'application/json': { schema: ref('oauth_token_response') } } },
      '400': { description: 'invalid_request, unsupported_grant_type, invalid_grant', content: { 'application/json': { schema: ref('Error') } } },
      '401': { description: 'invalid_client', content: { 'application/json': { schema: ref('Error') } } },
    },
  });
  paths['/oauth/token'] = { get: oauthOperation('get'), post: oauthOperation('post') };
  schemas.health_response = jsonSchema(HEALTH_RESULT, 'output');
  paths['/health'] = {
    get: {
      operationId: 'health',
      summary: 'Liveness: the HTTP front and a function answer',
      tags: ['operations'],
      description: 'No credentials, no storage read, no rate limit.',
      security: [],
      responses: { '200': { description: 'Alive', content: { 'application/json': { schema: ref('health_response') } } } },
    },
  };
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'b24-event-hub',
      version: '1',
      description:
        'The Bitrix24 REST event API (bindings, offline journal, batch), the producer endpoint, the OAuth refresh and the health route. ' +
        'Documentation: docs/rest-api.md (every method and error), docs/producer.md, docs/journal.md and docs/delivery.md in the repository.',
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    paths,
    components: {
      schemas,
      securitySchemes: {
        oauthQuery: { type: 'apiKey', in: 'query', name: 'auth', description: 'OAuth access token from /oauth/token or the install' },
        oauthHeader: { type: 'http', scheme: 'bearer', description: 'The same access token as Authorization: Bearer' },
        producerKey: { type: 'http', scheme: 'bearer', description: 'PRODUCER_KEY (local runtime)' },
      },
    },
  };
}
