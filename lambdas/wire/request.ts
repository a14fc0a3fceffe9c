import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import qs from 'qs';
import { errors } from '../domain/errors';
import { wireErrors } from './response';
import type { PresentedCredential } from '../usecases/authenticate';

/** A REST call as the use cases see it: method, credential, parameters (names lower-cased). */
export interface RestCall {
  method: string;
  credential: PresentedCredential;
  params: Record<string, unknown>;
}

/**
 * PHP-style parsing (`filter[>=ID]=5`, `message_id[]=…`) with bounds, so a hostile query
 * cannot build huge structures. Used for query strings, form bodies and batch sub-calls.
 */
export const PHP_STYLE = { depth: 8, arrayLimit: 1000, parameterLimit: 2000, allowPrototypes: false } as const;

/** The same bounds for JSON bodies: nesting levels and values in all. */
export const JSON_BOUNDS = { depth: 8, values: 10_000 } as const;

/** Refuses a JSON value nested deeper, or holding more values, than JSON_BOUNDS (400, nothing runs). */
export function checkJsonBounds(value: unknown): void {
  let values = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (++values > JSON_BOUNDS.values) throw errors.badRequest(`Request body holds more than ${JSON_BOUNDS.values} values`);
    if (current === null || typeof current !== 'object') continue;
    if (depth >= JSON_BOUNDS.depth) throw errors.badRequest(`Request body is nested deeper than ${JSON_BOUNDS.depth} levels`);
    for (const child of Object.values(current as Record<string, unknown>)) stack.push([child, depth + 1]);
  }
}

const REST_PATH = /^\/rest\/(?:(\d+)\/([^/]+)\/)?([^/]+?)(?:\.json)?\/?$/i;

/** `/rest/{method}`, `/rest/{method}.json`, `/rest/{user_id}/{secret}/{method}` (+ `.json`, `/`). */
export function parseRestPath(path: string): { method: string; webhook?: { userId: number; secret: string } } | undefined {
  const match = REST_PATH.exec(path);
  if (!match) return undefined;
  const [, userId, secret, method] = match;
  return {
    method: method!.toLowerCase(),
    ...(userId !== undefined && secret !== undefined ? { webhook: { userId: Number(userId), secret } } : {}),
  };
}

export function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  const headers = event.headers ?? {};
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/** The raw body text, checked against the size bound (413 over it). */
export function bodyText(event: APIGatewayProxyEventV2, maxBytes: number): string {
  if (event.body === undefined || event.body === null || event.body === '') return '';
  const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (bytes.length > maxBytes) throw wireErrors.bodyTooLarge(maxBytes);
  return bytes.toString('utf8');
}

/** Query string merged with the body (JSON or PHP-style form); the body wins, as in PHP's $_REQUEST. */
export function parseParams(event: APIGatewayProxyEventV2, maxBytes: number): Record<string, unknown> {
  const query = qs.parse(event.rawQueryString ?? '', PHP_STYLE) as Record<string, unknown>;
  const text = bodyText(event, maxBytes);
  let body: Record<string, unknown> = {};
  if (text.trim() !== '') {
    const type = (header(event, 'content-type') ?? '').toLowerCase();
    if (type.includes('json')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw errors.badRequest('Request body is not valid JSON');
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw errors.badRequest('Request body must be a JSON object');
      }
      checkJsonBounds(parsed);
      body = parsed as Record<string, unknown>;
    } else if (type.includes('multipart/')) {
      throw errors.badRequest('multipart/form-data is not supported: send application/x-www-form-urlencoded or JSON');
    } else {
      body = qs.parse(text, PHP_STYLE) as Record<string, unknown>;
    }
  }
  return lowerCaseKeys({ ...query, ...body });
}

/** Parameter names are case-insensitive (docs/rest-api.md): top-level names are lower-cased. */
export function lowerCaseKeys(params: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    const name = key.toLowerCase();
    // A JSON body may carry `__proto__` as a key: never let it set the object's prototype.
    if (name === '__proto__' || name === 'constructor' || name === 'prototype') continue;
    out[name] = value;
  }
  return out;
}

/**
 * Takes the credential out of the parameters: the webhook path, or `auth` / `access_token`,
 * or `Authorization: Bearer`. Credential parameters never reach the method.
 */
export function takeCredential(
  params: Record<string, unknown>,
  webhook: { userId: number; secret: string } | undefined,
  authorization: string | undefined,
): PresentedCredential {
  const auth = params.auth;
  const accessToken = params.access_token;
  delete params.auth;
  delete params.access_token;
  if (webhook) return { type: 'webhook', ...webhook };
  const fromParams = typeof auth === 'string' && auth !== '' ? auth : typeof accessToken === 'string' ? accessToken : '';
  if (fromParams !== '') return { type: 'token', token: fromParams };
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (bearer) return { type: 'token', token: bearer[1]! };
  return { type: 'none' };
}

export function parseRestCall(event: APIGatewayProxyEventV2, maxBytes: number): RestCall {
  const path = parseRestPath(event.rawPath);
  if (!path) throw errors.methodNotFound();
  const params = parseParams(event, maxBytes);
  const credential = takeCredential(params, path.webhook, header(event, 'authorization'));
  return { method: path.method, credential, params };
}
