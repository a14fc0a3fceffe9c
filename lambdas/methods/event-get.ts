import * as z from 'zod';
import { bindingStore, deliveryLog } from '../composition';
import { getBindings } from '../usecases/bindings';
import { switchOffs } from '../usecases/delivery-history';
import { offlineBinding, onlineBinding, wireBinding } from '../wire/shapes';
import { restMethod } from '../wire/rest-method';

/** `event.get` (docs/rest-api.md): the application's bindings in creation order, with fallback and switch-off (beyond Bitrix24). */
export const method = restMethod({
  name: 'event.get',
  summary: "The application's bindings",
  params: z.object({}),
  result: z.array(z.union([onlineBinding, offlineBinding])),
  needs: { tables: { bindings: 'read', deliveries: 'read' } },
  deps: (cfg) => ({ bindings: bindingStore(cfg), log: deliveryLog(cfg) }),
  run: async ({ caller, deps }) => {
    const bindings = await getBindings(deps, caller);
    const off = await switchOffs(deps.log, bindings);
    return { result: bindings.map((b) => wireBinding(b, b.offline ? undefined : off.get(b.handler))) };
  },
});
