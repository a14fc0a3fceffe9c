import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { BitrixError, errors } from '../domain/errors';

export const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'Content-Type, Authorization',
};

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', ...CORS_HEADERS };

/** What a method returns: `result`, and for lists `total` / `next`; `extra` adds top-level keys. */
export interface MethodOutput {
  result: unknown;
  total?: number;
  next?: number;
  extra?: Record<string, unknown>;
}

function isoWithOffset(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** The mandatory `time` block (the JS SDK fails without it). */
export function timeBlock(startedMs: number, processingMs: number, finishedMs = Date.now()): Record<string, unknown> {
  return {
    start: startedMs / 1000,
    finish: finishedMs / 1000,
    duration: (finishedMs - startedMs) / 1000,
    processing: processingMs / 1000,
    date_start: isoWithOffset(startedMs),
    date_finish: isoWithOffset(finishedMs),
    operating_reset_at: Math.floor(finishedMs / 1000) + 600,
    operating: 0,
  };
}

export function successResponse(output: MethodOutput, startedMs: number, processingMs: number): APIGatewayProxyStructuredResultV2 {
  const body: Record<string, unknown> = { result: output.result };
  if (output.next !== undefined) body.next = output.next;
  if (output.total !== undefined) body.total = output.total;
  Object.assign(body, output.extra ?? {});
  body.time = timeBlock(startedMs, processingMs);
  return { statusCode: 200, headers: JSON_HEADERS, body: JSON.stringify(body) };
}

export function errorBody(error: BitrixError): Record<string, unknown> {
  return {
    error: error.code,
    error_description: error.description,
    ...(error.argument !== undefined ? { argument: error.argument } : {}),
  };
}

/**
 * An error only the wire layer raises, with its own HTTP status: a body over the bound (413),
 * a path that is no route (404).
 */
export class WireError extends BitrixError {
  constructor(
    readonly status: number,
    code: string,
    description: string,
  ) {
    super(code, description);
  }
}

export const wireErrors = {
  bodyTooLarge: (limit: number) => new WireError(413, 'ERROR_ARGUMENT', `Request body is larger than ${limit} bytes`),
  noRoute: (method: string, path: string) => new WireError(404, 'NOT_FOUND', `No route for ${method} ${path}`),
};

/** The HTTP status of each Bitrix error code (docs/rest-api.md, "Errors"); any other code is a client mistake, 400. */
const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  NO_AUTH_FOUND: 401,
  INVALID_CREDENTIALS: 401,
  invalid_token: 401,
  expired_token: 401,
  insufficient_scope: 401,
  invalid_client: 401,
  ACCESS_DENIED: 403,
  ERROR_METHOD_NOT_FOUND: 404,
  QUERY_LIMIT_EXCEEDED: 503,
  INTERNAL_SERVER_ERROR: 500,
};

export function httpStatus(error: BitrixError): number {
  return error instanceof WireError ? error.status : (STATUS_OF_CODE[error.code] ?? 400);
}

export function errorResponse(error: BitrixError): APIGatewayProxyStructuredResultV2 {
  return { statusCode: httpStatus(error), headers: JSON_HEADERS, body: JSON.stringify(errorBody(error)) };
}

/** DynamoDB and SDK errors that mean "try again later", not "you sent something wrong". */
const TRANSIENT = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TransactionConflictException',
  'ServiceUnavailable',
  'InternalServerError',
  'TimeoutError',
]);

/** Connection failures the SDK gave up retrying: the store is unreachable for now, not the request at fault. */
const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

/**
 * The one error mapper: Bitrix errors pass through; transient AWS errors become 503; anything
 * else is logged by the caller and answered 500 without details.
 */
export function toBitrixError(error: unknown): { error: BitrixError; unexpected: boolean } {
  if (error instanceof BitrixError) return { error, unexpected: false };
  const name = (error as { name?: string } | null)?.name ?? '';
  const code = (error as { code?: string } | null)?.code ?? '';
  if (TRANSIENT.has(name) || NETWORK.has(code)) return { error: errors.unavailable(), unexpected: true };
  // The byOrder index keeps one queue under 10 GB (adapters/dynamo/journal-repository.ts).
  if (name === 'ItemCollectionSizeLimitExceededException') return { error: errors.queueFull(), unexpected: true };
  return { error: errors.internal(), unexpected: true };
}
