import * as z from 'zod';
import { bindingStore } from '../composition';
import { getBindings } from '../usecases/bindings';
import { offlineBinding, onlineBinding, wireBinding } from '../wire/shapes';
import { restMethod } from '../wire/rest-method';

/** `event.get` (docs/rest-api.md): the application's bindings in creation order. */
export const method = restMethod({
  name: 'event.get',
  summary: "The application's bindings",
  params: z.object({}),
  result: z.array(z.union([onlineBinding, offlineBinding])),
  needs: { tables: { bindings: 'read' } },
  deps: (cfg) => ({ bindings: bindingStore(cfg) }),
  run: async ({ caller, deps }) => ({ result: (await getBindings(deps, caller)).map(wireBinding) }),
});
