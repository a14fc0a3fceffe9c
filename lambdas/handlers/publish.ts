import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { bindingStore, deliveryQueue, eventCatalog, journalStore, notificationScheduler, notificationThrottle, publishLedger, queueUpkeep, registryStore } from '../composition';
import { config } from '../config';
import { publish, type PublishDeps } from '../usecases/publish';
import { logger } from '../wire/logger';
import { parseProducerCall, publishAnswer, publishResponse } from '../wire/producer';
import { recordPublish, reportQueueUpkeep } from '../wire/metrics';
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
      ...(cfg.PUBLISH_IDEMPOTENCY_SECONDS > 0 ? { ledger: publishLedger(cfg), idempotencyWindowMs: cfg.PUBLISH_IDEMPOTENCY_SECONDS * 1000 } : {}),
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
    const published = await publish(deps(), request, started);
    const answer = publishAnswer(published);
    for (const { cause, unexpected, ...entry } of answer.notWritten) {
      // Each failure with the queue or binding it concerns (docs/producer.md, "Partial failures").
      (unexpected ? logger.error : logger.warn).call(logger, 'publish: not written', { ...entry, cause: cause as Error });
    }
    for (const error of published.ledgerErrors) logger.warn('publish: idempotency row not stored', { error: error as Error });
    logger.info('published', { ...answer.result, not_written: answer.notWritten.length });
    recordPublish(request.events.length, published);
    return publishResponse(answer, started, Date.now() - started);
  } catch (error) {
    return failureResponse(error);
  }
}

export const handler = middy(publishHttp).use(injectLambdaContext(logger, { resetKeys: true })) as unknown as RestHandler;
