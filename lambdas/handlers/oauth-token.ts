import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { BitrixError } from '../domain/errors';
import { refreshTokens } from '../usecases/tokens';
import { logger } from '../wire/logger';
import { parseParams } from '../wire/request';
import { CORS_HEADERS } from '../wire/response';
import { failureResponse, type RestHandler } from '../wire/rest-method';
import { wiring } from '../wiring';

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/**
 * `GET|POST /oauth/token/` (docs/rest-api.md): exchanges a refresh token for a new token pair, in the
 * shape Bitrix24's OAuth server answers (the SDKs call it when a REST call says
 * `expired_token`). Parameters in the query string or a form/JSON body.
 */
async function handle(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  try {
    if (event.rawPath.replace(/\/+$/, '').toLowerCase() !== '/oauth/token') throw new BitrixError('NOT_FOUND', `No route for ${event.rawPath}`, 404);
    const deps = wiring();
    const params = parseParams(event, deps.config.MAX_BODY_BYTES);
    const result = await refreshTokens(
      deps.registry,
      { grantType: text(params.grant_type), clientId: text(params.client_id), clientSecret: text(params.client_secret), refreshToken: text(params.refresh_token) },
      deps.deliverySettings,
      Math.floor(Date.now() / 1000),
    );
    logger.info('tokens refreshed', { member_id: result.member_id, client_id: params.client_id, user_id: result.user_id });
    return { statusCode: 200, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...CORS_HEADERS }, body: JSON.stringify(result) };
  } catch (error) {
    return failureResponse(error);
  }
}

export const handler: RestHandler = middy(handle).use(injectLambdaContext(logger, { resetKeys: true })) as unknown as RestHandler;
