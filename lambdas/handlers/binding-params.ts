import * as z from 'zod';
import { connector, eventType, nonNegativeInt, text } from '../wire/params';

/** The parameters that name a binding, shared by `event.bind` and `event.unbind`. */
export const bindingParams = z.object({
  event: text(128).optional(),
  handler: text(2048).optional(),
  auth_type: nonNegativeInt.optional(),
  event_type: eventType,
  auth_connector: connector,
});

/** Those parameters as the use cases take them (absent optional ones are left out). */
export function bindingTarget(p: z.output<typeof bindingParams>) {
  return {
    event: p.event ?? '',
    ...(p.handler !== undefined ? { handler: p.handler } : {}),
    ...(p.auth_type !== undefined ? { authType: p.auth_type } : {}),
    eventType: p.event_type,
  };
}
