import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { bindingStore, deliveryQueue, eventCatalog, journalStore, notificationScheduler, notificationThrottle, queueUpkeep, registryStore } from '../composition';
import { config } from '../config';
import { publish, type PublishDeps } from '../usecases/publish';
import { logger } from '../wire/logger';
import { parseProducerCall } from '../wire/producer';
import { recordPublish, reportQueueUpkeep } from '../wire/metrics';
import { successResponse } from '../wire/response';
import { failureResponse, type RestHandler } from '../wire/rest-method';

let built: PublishDeps | undefined;
const deps = (): PublishDeps => {
  if (!built) {
    const cfg = config();
    built = {
      registry: registryStore(cfg),
      bindings: bindingStore(cfg),
      journal: journalStore(cfg),
      deliveries: deliveryQueue(cfg),
      throttle: notificationThrottle(cfg),
      scheduler: notificationScheduler(cfg),
      catalog: eventCatalog(cfg),
      upkeep: queueUpkeep(cfg),
    };
    queueUpkeep(cfg).report = reportQueueUpkeep;
  }
  return built;
};

/** `POST /producer/events` (docs/producer.md): the producer's call, parsed by the wire layer, published by the use case. */
export async function publishHttp(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const started = Date.now();
  try {
    const cfg = config();
    const request = parseProducerCall(event, { mode: cfg.PRODUCER_AUTH, key: cfg.PRODUCER_KEY }, cfg.MAX_BODY_BYTES);
    logger.appendKeys({ member_id: request.memberId, events: request.events.length });
    const result = await publish(deps(), request, started);
    logger.info('published', { ...result });
    recordPublish(request.events.length, result);
    return successResponse({ result }, started, Date.now() - started);
  } catch (error) {
    return failureResponse(error);
  }
}

export const handler = middy(publishHttp).use(injectLambdaContext(logger, { resetKeys: true })) as unknown as RestHandler;
