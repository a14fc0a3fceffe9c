import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { CORS_HEADERS } from '../wire/response';

/**
 * `GET /health`: answers `{"status":"ok"}` when the HTTP front and a function answer. It is a
 * liveness check: no credentials, no storage read, no rate limit (docs/rest-api.md, "Health").
 * On AWS the REST fallback function serves the route; locally the same file answers.
 */
export function healthResponse(): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...CORS_HEADERS },
    body: JSON.stringify({ status: 'ok' }),
  };
}
