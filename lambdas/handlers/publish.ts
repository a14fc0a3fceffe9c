import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { bindingStore, deliveryQueue, eventCatalog, journalStore, notificationScheduler, notificationThrottle, publishLedger, registryStore } from '../composition';
import { config } from '../config';
import { publish, type PublishDeps } from '../usecases/publish';
import { logger } from '../wire/logger';
import { parseProducerCall, publishAnswer } from '../wire/producer';
import { recordPublish } from '../wire/metrics';
import { CORS_HEADERS, successResponse, timeBlock } from '../wire/response';
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
      ...(cfg.PUBLISH_IDEMPOTENCY_SECONDS > 0 ? { ledger: publishLedger(cfg), idempotencyWindowMs: cfg.PUBLISH_IDEMPOTENCY_SECONDS * 1000 } : {}),
    };
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
    if (answer.notWritten.length === 0) return successResponse({ result: answer.result }, started, Date.now() - started);
    // Something was not written: 503, so producers and SDKs retry; the body says what (the rest was written).
    return {
      statusCode: 503,
      headers: { 'content-type': 'application/json; charset=utf-8', ...CORS_HEADERS },
      body: JSON.stringify({
        error: 'QUERY_LIMIT_EXCEEDED',
        error_description: `${answer.notWritten.length} deliveries or journal writes of this request were not made (listed in result.not_written); everything else was. Retry: with message_id, a retry makes only what is missing`,
        result: answer.result,
        time: timeBlock(started, Date.now() - started),
      }),
    };
  } catch (error) {
    return failureResponse(error);
  }
}

export const handler = middy(publishHttp).use(injectLambdaContext(logger, { resetKeys: true })) as unknown as RestHandler;
