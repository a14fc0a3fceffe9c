import * as z from 'zod';
import { bind } from '../usecases/bindings';
import { connector, eventType, nonNegativeInt, text } from '../wire/params';
import { restHandler, type RestMethod } from '../wire/rest-method';

const params = z.object({
  event: text(128).optional(),
  handler: text(2048).optional(),
  auth_type: nonNegativeInt.optional(),
  event_type: eventType,
  auth_connector: connector,
  options: z.record(z.string(), z.unknown(), { error: 'must be an object' }).optional(),
});

/** `event.bind` (SPEC §3). */
export const method: RestMethod<typeof params> = {
  name: 'event.bind',
  params,
  run: async ({ caller, deps }, p) => ({
    result: await bind(deps, caller, {
      event: p.event ?? '',
      ...(p.handler !== undefined ? { handler: p.handler } : {}),
      ...(p.auth_type !== undefined ? { authType: p.auth_type } : {}),
      eventType: p.event_type,
      connector: p.auth_connector ?? '',
      ...(p.options !== undefined ? { options: p.options } : {}),
    }),
  }),
};

export const handler = restHandler(method);
