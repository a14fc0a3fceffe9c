import * as z from 'zod';
import { unbind } from '../usecases/bindings';
import { connector, eventType, nonNegativeInt, text } from '../wire/params';
import { restHandler, type RestMethod } from '../wire/rest-method';

const params = z.object({
  event: text(128).optional(),
  handler: text(2048).optional(),
  auth_type: nonNegativeInt.optional(),
  event_type: eventType,
  auth_connector: connector,
});

/** `event.unbind` (SPEC §3): answers `{count}`. */
export const method: RestMethod<typeof params> = {
  name: 'event.unbind',
  params,
  run: async ({ caller, deps }, p) => ({
    result: await unbind(deps, caller, {
      event: p.event ?? '',
      ...(p.handler !== undefined ? { handler: p.handler } : {}),
      ...(p.auth_type !== undefined ? { authType: p.auth_type } : {}),
      eventType: p.event_type,
      ...(p.auth_connector !== undefined ? { connector: p.auth_connector } : {}),
    }),
  }),
};

export const handler = restHandler(method);
