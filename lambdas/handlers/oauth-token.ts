import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { registryStore, tokenSettings } from '../composition';
import { config } from '../config';
import { refreshTokens } from '../usecases/tokens';
import { logger } from '../wire/logger';
import { parseOAuthCall } from '../wire/oauth';
import { CORS_HEADERS } from '../wire/response';
import { failureResponse, type RestHandler } from '../wire/rest-method';

/**
 * `GET|POST /oauth/token/` (docs/rest-api.md, "OAuth"): exchanges a refresh token for a new
 * token pair, in the shape Bitrix24's OAuth server answers (the SDKs call it when a REST call
 * says `expired_token`).
 */
async function handle(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  try {
    const cfg = config();
    const request = parseOAuthCall(event, cfg.MAX_BODY_BYTES);
    const result = await refreshTokens(registryStore(cfg), request, tokenSettings(cfg), Math.floor(Date.now() / 1000));
    logger.info('tokens refreshed', { member_id: result.member_id, client_id: request.clientId, user_id: result.user_id });
    return { statusCode: 200, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...CORS_HEADERS }, body: JSON.stringify(result) };
  } catch (error) {
    return failureResponse(error);
  }
}

export const handler: RestHandler = middy(handle).use(injectLambdaContext(logger, { resetKeys: true })) as unknown as RestHandler;
