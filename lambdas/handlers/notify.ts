import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import type { ParsedResult } from '@aws-lambda-powertools/parser/types';
import { bindingStore, deliveryQueue, journalStore, notificationThrottle, registryStore } from '../composition';
import { config } from '../config';
import type { TrailingNotification } from '../domain/offline-notification';
import { sendTrailingNotification, type TrailingOutcome } from '../usecases/offline-notification';
import { logger } from '../wire/logger';
import { trailingNotificationInput } from '../wire/schedule-input';

/**
 * The notifier (docs/notifications.md): EventBridge Scheduler invokes it at the end of an
 * ONOFFLINEEVENT window (locally, local/scheduler.ts does) to send the trailing notification.
 * Powertools' parser checks the schedule's input; a malformed one is logged and dropped:
 * retrying it cannot help. The notifier never schedules, so it is built without a scheduler.
 */
async function handle(event: ParsedResult<unknown, TrailingNotification>): Promise<{ outcome: TrailingOutcome | 'malformed' }> {
  if (!event.success) {
    logger.error('malformed schedule input', { issue: event.error.message.slice(0, 200) });
    return { outcome: 'malformed' };
  }
  const input = event.data;
  const cfg = config();
  const deps = { registry: registryStore(cfg), bindings: bindingStore(cfg), journal: journalStore(cfg), throttle: notificationThrottle(cfg), deliveries: deliveryQueue(cfg) };
  const outcome = await sendTrailingNotification(deps, input, Date.now());
  logger.info('trailing notification', { member_id: input.memberId, client_id: input.clientId, binding_id: input.bindingId, outcome });
  return { outcome };
}

export const handler = middy(handle)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(parser({ schema: trailingNotificationInput, safeParse: true }));
