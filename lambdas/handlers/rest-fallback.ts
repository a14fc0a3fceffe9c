import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { errors } from '../domain/errors';
import { parseRestPath } from '../wire/request';
import { CORS_HEADERS, errorResponse } from '../wire/response';
import { healthResponse } from './health';

export type FallbackHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * The catch-all `/rest/{proxy+}` route on AWS (docs/rest-api.md). API Gateway routes are
 * case-sensitive and never end in "/", while method names are case-insensitive and clients
 * may add a trailing slash. A request that names a known method in another spelling is sent
 * to its canonical route with a 308 (method and body kept: fetch, axios, PHP curl and
 * Python requests follow it); anything else is Bitrix's ERROR_METHOD_NOT_FOUND. The
 * function stays tiny: no AWS SDK, no storage; the stack's generated entry hands it the
 * method names (lib/entries.ts).
 */
export function restFallback(methodNames: ReadonlySet<string>): FallbackHandler {
  return async (event) => {
    // Liveness (docs/rest-api.md, "Health"): the same tiny function serves GET /health.
    if (event.rawPath.replace(/\/+$/, '') === '/health') return healthResponse();
    const path = parseRestPath(event.rawPath);
    if (!path || !methodNames.has(path.method)) return errorResponse(errors.methodNotFound());
    const json = /\.json\/?$/i.test(event.rawPath) ? '.json' : '';
    const prefix = path.webhook ? `/rest/${path.webhook.userId}/${path.webhook.secret}` : '/rest';
    const canonical = `${prefix}/${path.method}${json}`;
    if (canonical === event.rawPath) return errorResponse(errors.methodNotFound()); // no loop
    const stage = event.requestContext.stage && event.requestContext.stage !== '$default' ? `/${event.requestContext.stage}` : '';
    const location = `${stage}${canonical}${event.rawQueryString ? `?${event.rawQueryString}` : ''}`;
    return { statusCode: 308, headers: { location, ...CORS_HEADERS }, body: '' };
  };
}
