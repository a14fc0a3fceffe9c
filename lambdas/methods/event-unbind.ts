import * as z from 'zod';
import { bindingStore, eventCatalog, registryStore } from '../composition';
import { unbind } from '../usecases/bindings';
import { restMethod } from '../wire/rest-method';
import { bindingParams, bindingTarget } from '../wire/binding-params';

/** `event.unbind` (docs/rest-api.md): answers `{count}`. */
export const method = restMethod({
  name: 'event.unbind',
  summary: 'Remove the bindings that match',
  params: bindingParams,
  result: z.strictObject({ count: z.number().int().min(0) }),
  needs: { tables: { bindings: 'write' } },
  deps: (cfg) => ({ registry: registryStore(cfg), bindings: bindingStore(cfg), catalog: eventCatalog(cfg) }),
  run: async ({ caller, deps }, p) => ({
    result: await unbind(deps, caller, {
      ...bindingTarget(p),
      // Online, a connector narrows the match only when given; offline, absent means "none".
      ...(p.auth_connector !== undefined ? { connector: p.auth_connector } : {}),
    }),
  }),
});
