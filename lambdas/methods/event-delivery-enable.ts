import * as z from 'zod';
import { bindingStore, deliveryLog } from '../composition';
import { enableHandler } from '../usecases/delivery-history';
import { text } from '../wire/params';
import { restMethod } from '../wire/rest-method';

/** `event.delivery.enable` (docs/delivery.md "Dead handlers"): switch a switched-off handler back on for the application. */
export const method = restMethod({
  name: 'event.delivery.enable',
  summary: 'Beyond Bitrix24: switch a handler that was switched off (failing for too long, or 410 Gone) back on for this application',
  params: z.object({
    handler: text(2048).optional().describe('The handler URL, as bound; required'),
  }),
  result: z.strictObject({ enabled: z.literal(true), was_off: z.boolean() }),
  needs: { tables: { deliveries: 'write', bindings: 'read' } },
  deps: (cfg) => ({ log: deliveryLog(cfg), bindings: bindingStore(cfg) }),
  run: async ({ caller, deps, now }, p) => ({ result: { enabled: true as const, was_off: await enableHandler(deps, caller, p.handler ?? '', now) } }),
});
