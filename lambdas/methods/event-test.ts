import * as z from 'zod';
import { bindingStore, deliveryQueue } from '../composition';
import { testEvent } from '../usecases/service-events';
import { restMethod } from '../wire/rest-method';

/** `event.test` (docs/rest-api.md): ONAPPTEST to the application's own ONAPPTEST handlers. */
export const method = restMethod({
  name: 'event.test',
  summary: "Send ONAPPTEST with the call's parameters to the application's own handlers",
  /** Any parameters: they are echoed to the handler as data.QUERY. */
  params: z.looseObject({}),
  result: z.literal(1),
  needs: { tables: { bindings: 'read' }, deliveryQueue: true },
  deps: (cfg) => ({ bindings: bindingStore(cfg), deliveries: deliveryQueue(cfg) }),
  run: async ({ caller, deps, now }, p) => ({ result: await testEvent(deps, caller, p, now) }),
});
