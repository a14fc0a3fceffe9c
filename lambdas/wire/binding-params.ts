import * as z from 'zod';
import { connector, eventType, nonNegativeInt, text } from './params';

/** The parameters that name a binding, shared by `event.bind` and `event.unbind`. */
export const bindingParams = z.object({
  event: text(128).optional().describe('Event name (case-insensitive), required'),
  handler: text(2048).optional().describe('http(s) URL of the handler; required for online bindings, none for offline'),
  auth_type: nonNegativeInt.optional().describe('User whose authorization the handler gets; 0 = the user who caused the event'),
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
