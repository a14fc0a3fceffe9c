import * as z from 'zod';
import { testEvent } from '../usecases/service-events';
import { restHandler, type RestMethod } from '../wire/rest-method';
// The outbound adapters this function uses (see Outbound in wiring.ts).
import '../outbound/queue';

/** Any parameters: they are echoed to the handler as data.QUERY. */
const params = z.looseObject({});

/** `event.test` (docs/rest-api.md): ONAPPTEST to the application's own ONAPPTEST handlers. */
export const method: RestMethod<typeof params> = {
  name: 'event.test',
  params,
  run: async ({ caller, deps, now }, p) => ({ result: await testEvent(deps, caller, p, now) }),
};

export const handler = restHandler(method);
