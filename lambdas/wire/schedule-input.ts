import * as z from 'zod';
import type { TrailingNotification } from '../domain/offline-notification';

/** The input of a trailing-notification schedule, as considerNotifications writes it. */
export const trailingNotificationInput = z.object({
  memberId: z.string().min(1),
  clientId: z.string().min(1),
  bindingId: z.number().int().nonnegative(),
  windowEnd: z.number().int().positive(),
}) satisfies z.ZodType<TrailingNotification>;
