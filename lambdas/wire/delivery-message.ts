import * as z from 'zod';
import type { DeliveryMessage } from '../domain/ports';

/**
 * A queued delivery as it travels through SQS (the body publish, event.test, the notifier and
 * the lifecycle events write). The delivery worker parses every record with it; anything else
 * is poison and goes to the DLQ. Typed against the domain's `DeliveryMessage`, so the two
 * cannot drift.
 */
export const deliveryMessage = z.object({
  memberId: z.string().min(1),
  clientId: z.string().min(1),
  bindingId: z.number().int().nonnegative(),
  event: z.string().min(1),
  handler: z.string().min(1),
  userId: z.number().int().nonnegative(),
  data: z.unknown(),
  ts: z.number().int(),
  format: z.enum(['form', 'json']).optional(),
  fallback: z.object({ connector: z.string() }).optional(),
  attempt: z.number().int().positive().optional(),
  deliveryId: z.string().min(1).optional(),
  uninstalled: z.object({ domain: z.string(), applicationToken: z.string(), status: z.string(), signingSecret: z.string() }).optional(),
}) satisfies z.ZodType<DeliveryMessage>;
