import * as z from 'zod';
import { WIRE_FORM, wireFormOf } from './params';
import { MAX_EVENTS_PER_PUBLISH, publishBody } from './producer';
import type { AnyRestMethod } from './rest-method';
import { ERROR_BODY, PUBLISH_RESULT, successEnvelope } from './shapes';

/**
 * The OpenAPI 3.1 description of the REST surface and the producer endpoint, generated from
 * the method descriptors (lambdas/methods/): their parameter schemas are the ones the service
 * validates with, and their result schemas are the ones the OpenAPI test parses every real
 * answer with, so the document cannot drift from what the service does. `npm run openapi`
 * writes it to `openapi.json`; the local runtime serves it at `/openapi.json`.
 */

/** The producer endpoint's name in component names (`producer_events_params`). */
const PRODUCER = 'producer.events';

/** The documentation a clone has (docs/), linked from the document. */
const DOCS = 'Documentation: docs/rest-api.md (every method and error), docs/producer.md, docs/journal.md and docs/delivery.md in the repository.';

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

const ERROR_STATUSES: Record<string, string> = {
  '400': 'ERROR_ARGUMENT, ERROR_EVENT_NOT_FOUND, ERROR_WRONG_HANDLER_URL, ERROR_UNSUPPORTED_PROTOCOL, ERROR_CORE, CODE_EMPTY (feature.get)',
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
      const schema = ctx.zodSchema as unknown as z.ZodType;
      // A helper's wire form (wire/params.ts, in zod metadata) replaces the normalised type,
      // on the helper's schema and on every wrapper the metadata was carried into.
      const form = (wireFormOf(schema) ?? ctx.jsonSchema[WIRE_FORM]) as Record<string, unknown> | undefined;
      if (form) {
        for (const key of Object.keys(ctx.jsonSchema)) if (key !== 'description') delete ctx.jsonSchema[key];
        Object.assign(ctx.jsonSchema, structuredClone(form));
      }
      if (schema instanceof z.ZodObject && Array.isArray(ctx.jsonSchema.required)) {
        const shape = schema.shape as Record<string, z.ZodType>;
        const required = ctx.jsonSchema.required.filter((key) => !shape[key]!.safeParse(undefined).success);
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
const componentName = (method: string, part: 'params' | 'response' | 'partial') => `${method.replace(/\./g, '_')}_${part}`;
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

function paramsSchema(method: AnyRestMethod): JsonSchema {
  const params = jsonSchema(method.params, 'input');
  // Unknown parameters are ignored (the SDKs add bx24_request_id and friends).
  delete params.additionalProperties;
  params.properties = { ...(params.properties as JsonSchema), auth: { type: 'string', description: 'OAuth access token (or the `auth` query parameter, or Authorization: Bearer); not used with a webhook URL' } };
  return params;
}

function restOperation(method: AnyRestMethod, webhook: boolean): JsonSchema {
  const params = ref(componentName(method.name, 'params'));
  return {
    operationId: `${webhook ? 'webhook_' : ''}${method.name.replace(/\./g, '_')}`,
    summary: `${method.name}${webhook ? ' (incoming webhook)' : ''}: ${method.summary}`,
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

/** The document of `methods`. `serverUrl` adds a `servers` entry (the local runtime passes its base URL). */
/**
 * The web console's API (docs/console.md, lambdas/handlers/console.ts): the operator-wide reads
 * and actions the REST methods do not offer. Every answer is `{ result }` or an Error; state-changing
 * requests must be same-origin JSON (403 otherwise); an application-link session gets 403 for
 * another application's or portal's ids.
 */
function consolePaths(): Record<string, JsonSchema> {
  const scopeParams = [
    { name: 'member_id', in: 'query', required: false, schema: { type: 'string', pattern: '^[0-9a-f]{32}$' }, description: 'Narrow to one portal' },
    { name: 'client_id', in: 'query', required: false, schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$' }, description: 'Narrow to one application' },
  ];
  const answer = { '200': { description: 'OK', content: { 'application/json': { schema: { type: 'object', required: ['result'], properties: { result: {} } } } } }, ...errorResponses };
  const read = (id: string, summary: string, extra: JsonSchema[] = []) => ({
    get: { operationId: `console_${id}`, summary, tags: ['console'], security: [{ consoleSession: [] }], parameters: [...scopeParams, ...extra], responses: answer },
  });
  const body = (properties: JsonSchema, required: string[] = []) => ({ required: true, content: { 'application/json': { schema: { type: 'object', properties, required } } } });
  return {
    '/console/api/session': {
      post: { operationId: 'console_sign_in', summary: 'Operator sign-in: sets the session cookie', tags: ['console'], security: [], requestBody: body({ credential: { type: 'string' } }, ['credential']), responses: answer },
      delete: { operationId: 'console_sign_out', summary: 'Ends the session', tags: ['console'], security: [{ consoleSession: [] }], responses: answer },
    },
    '/console/link': {
      get: {
        operationId: 'console_open_link',
        summary: 'Exchanges an application link (admin CLI `console link`) for a session limited to that application; 303 to /console/',
        tags: ['console'],
        security: [],
        parameters: [{ name: 'token', in: 'query', required: true, schema: { type: 'string' } }],
        responses: { '303': { description: 'Signed in' }, ...errorResponses },
      },
    },
    '/console/api/me': read('me', 'Who the session is: the operator, or one application on one portal'),
    '/console/api/overview': read('overview', 'Deliveries by outcome (hour, day, 10-minute series), latency p50/p99, offline backlog'),
    '/console/api/installations': read('installations', 'Portals and their applications'),
    '/console/api/bindings': read('bindings', 'Bindings with handler health and switch-off'),
    '/console/api/queues': read('queues', 'Offline queues per connector: pending and error records, oldest age'),
    '/console/api/recent': read('recent', 'The newest delivery attempts across the visible applications'),
    '/console/api/deliveries': read('deliveries', "One application's delivery history (event.delivery.list's rules); member_id and client_id required for the operator", [
      { name: 'status', in: 'query', required: false, schema: { type: 'string' } },
      { name: 'event', in: 'query', required: false, schema: { type: 'string' } },
      { name: 'from', in: 'query', required: false, schema: { type: 'string' } },
      { name: 'to', in: 'query', required: false, schema: { type: 'string' } },
      { name: 'start', in: 'query', required: false, schema: { type: 'integer', minimum: 0, maximum: 10000 } },
    ]),
    '/console/api/dlq': read('dlq', 'Operator only: the deliveries dead-letter queue, its depth and up to 100 parked messages (read without consuming them)'),
    '/console/api/dlq/redrive': {
      post: {
        operationId: 'console_dlq_redrive',
        summary: 'Operator only: moves parked deliveries back to the delivery queue (attempt 1, same delivery id), the message ids given or all (up to 500 a call)',
        tags: ['console'],
        security: [{ consoleSession: [] }],
        requestBody: body({ ids: { type: 'array', items: { type: 'string' }, maxItems: 100 } }),
        responses: answer,
      },
    },
    '/console/api/resend': {
      post: {
        operationId: 'console_resend',
        summary: "Resends by ids or by the deliveries page's filter (event.delivery.resend's rules)",
        tags: ['console'],
        security: [{ consoleSession: [] }],
        requestBody: body({ member_id: { type: 'string' }, client_id: { type: 'string' }, ids: { type: 'array', items: { type: 'string' } }, filter: { type: 'object' } }),
        responses: answer,
      },
    },
    '/console/api/enable': {
      post: {
        operationId: 'console_enable',
        summary: "Switches a handler back on for the application (event.delivery.enable's rules)",
        tags: ['console'],
        security: [{ consoleSession: [] }],
        requestBody: body({ member_id: { type: 'string' }, client_id: { type: 'string' }, handler: { type: 'string' } }, ['handler']),
        responses: answer,
      },
    },
  };
}

export function openApiDocument(methods: readonly AnyRestMethod[], serverUrl?: string): JsonSchema {
  const paths: Record<string, JsonSchema> = {};
  const schemas: Record<string, JsonSchema> = { Error: jsonSchema(ERROR_BODY, 'output') };
  for (const method of methods) {
    schemas[componentName(method.name, 'params')] = paramsSchema(method);
    schemas[componentName(method.name, 'response')] = jsonSchema(successEnvelope(method.result, method.envelope), 'output');
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
  schemas[componentName(PRODUCER, 'response')] = jsonSchema(successEnvelope(PUBLISH_RESULT), 'output');
  schemas[componentName(PRODUCER, 'partial')] = jsonSchema(successEnvelope(PUBLISH_RESULT, { error: z.literal('QUERY_LIMIT_EXCEEDED'), error_description: z.string() }), 'output');
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
        '503': {
          description:
            'Some deliveries or journal writes were not made (a queue full or throttled, the delivery queue refusing): everything else was; `result.not_written` lists each (event index, binding, error). Retry; with message_id a retry makes only what is missing.',
          content: { 'application/json': { schema: ref(componentName(PRODUCER, 'partial')) } },
        },
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
  Object.assign(paths, consolePaths());
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'b24-event-hub',
      version: '1',
      description: `The Bitrix24 REST event API (bindings, offline journal, batch), the producer endpoint, the OAuth refresh and the health route. ${DOCS}`,
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    paths,
    components: {
      schemas,
      securitySchemes: {
        oauthQuery: { type: 'apiKey', in: 'query', name: 'auth', description: 'OAuth access token from /oauth/token or the install' },
        oauthHeader: { type: 'http', scheme: 'bearer', description: 'The same access token as Authorization: Bearer' },
        producerKey: { type: 'http', scheme: 'bearer', description: 'PRODUCER_KEY (local runtime)' },
        consoleSession: { type: 'apiKey', in: 'cookie', name: 'b24hub_console', description: 'Web console session (docs/console.md): HttpOnly, SameSite=Strict' },
      },
    },
  };
}
