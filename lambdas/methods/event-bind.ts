import * as z from 'zod';
import { bindingStore, deliveryLog, eventCatalog, registryStore } from '../composition';
import { bind } from '../usecases/bindings';
import { restMethod } from '../wire/rest-method';
import { bindingParams, bindingTarget } from '../wire/binding-params';

/** `event.bind` (docs/rest-api.md). */
export const method = restMethod({
  name: 'event.bind',
  summary: 'Bind a handler (online) or the offline journal to an event',
  params: bindingParams.extend({
    options: z
      .record(z.string(), z.unknown(), { error: 'must be an object' })
      .optional()
      .describe('Per event: minTimeout (seconds) for ONOFFLINEEVENT; format json|form for the delivery body; fallback offline|none (a delivery that finally fails is journaled offline)'),
  }),
  result: z.literal(true),
  needs: { tables: { registry: 'write', bindings: 'write', deliveries: 'write' } },
  deps: (cfg) => ({ registry: registryStore(cfg), bindings: bindingStore(cfg), catalog: eventCatalog(cfg), log: deliveryLog(cfg) }),
  run: async ({ caller, deps, now }, p) => ({
    result: await bind(
      deps,
      caller,
      {
        ...bindingTarget(p),
        connector: p.auth_connector ?? '',
        ...(p.options !== undefined ? { options: p.options } : {}),
      },
      now,
    ),
  }),
});
