import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import * as z from 'zod';
import { sendTrailingNotification, type TrailingOutcome } from '../usecases/offline-notification';
import { logger } from '../wire/logger';
import { wiring } from '../wiring';
// The outbound adapters this function uses (see Outbound in wiring.ts).
import '../outbound/queue';

/** The schedule's input, as considerNotifications wrote it. */
const input = z.object({
  memberId: z.string().min(1),
  clientId: z.string().min(1),
  bindingId: z.number().int().nonnegative(),
  windowEnd: z.number().int().positive(),
});

/**
 * The notifier (docs/notifications.md): EventBridge Scheduler invokes it at the end of an ONOFFLINEEVENT
 * window (locally, local/scheduler.ts does) to send the trailing notification. A malformed
 * input is logged and dropped: retrying it cannot help.
 */
async function handle(event: unknown): Promise<{ outcome: TrailingOutcome | 'malformed' }> {
  const parsed = input.safeParse(event);
  if (!parsed.success) {
    logger.error('malformed schedule input', { issue: parsed.error.issues[0]?.message });
    return { outcome: 'malformed' };
  }
  const deps = wiring();
  const outcome = await sendTrailingNotification(deps, parsed.data, Date.now());
  logger.info('trailing notification', { member_id: parsed.data.memberId, client_id: parsed.data.clientId, binding_id: parsed.data.bindingId, outcome });
  return { outcome };
}

export const handler = middy(handle).use(injectLambdaContext(logger, { resetKeys: true }));
