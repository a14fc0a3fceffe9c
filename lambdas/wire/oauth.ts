import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { RefreshRequest } from '../usecases/tokens';
import { parseParams } from './request';
import { wireErrors } from './response';

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/**
 * A call of `/oauth/token/`, as the refresh use case takes it. API Gateway reaches the
 * function through `/oauth/{proxy+}` too (its routes cannot end in "/"): any other path under
 * `/oauth/` is no route. Parameters in the query string or a form/JSON body.
 */
export function parseOAuthCall(event: APIGatewayProxyEventV2, maxBodyBytes: number): RefreshRequest {
  if (event.rawPath.replace(/\/+$/, '').toLowerCase() !== '/oauth/token') throw wireErrors.noRoute(event.requestContext.http.method, event.rawPath);
  const params = parseParams(event, maxBodyBytes);
  return { grantType: text(params.grant_type), clientId: text(params.client_id), clientSecret: text(params.client_secret), refreshToken: text(params.refresh_token) };
}
