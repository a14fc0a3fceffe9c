import * as z from 'zod';
import { bindingStore, deliveryLog } from '../composition';
import { listDeliveries } from '../usecases/delivery-history';
import { integer } from '../wire/params';
import { restMethod } from '../wire/rest-method';
import { deliveryRow, PAGED, wireAttempt } from '../wire/shapes';

/** `event.delivery.list` (docs/delivery.md "Delivery history"): the application's delivery attempts, newest first. */
export const method = restMethod({
  name: 'event.delivery.list',
  summary: "Beyond Bitrix24: the application's delivery attempts, newest first (administrators: all; users: their own bindings')",
  params: z.object({
    filter: z.unknown().optional().describe('STATUS (delivered|deferred|failed|fallback|dropped, one or a list), EVENT_NAME, HANDLER, >=DATE_CREATE, <DATE_CREATE'),
    start: integer.optional().describe('Offset of the page of 50 (at most 10000); -1 = no count (total and next are left out)'),
  }),
  result: z.array(deliveryRow),
  envelope: PAGED,
  needs: { tables: { deliveries: 'read', bindings: 'read' } },
  deps: (cfg) => ({ log: deliveryLog(cfg), bindings: bindingStore(cfg) }),
  run: async ({ caller, deps }, p) => {
    const page = await listDeliveries(deps, caller, { filter: p.filter, start: p.start ?? 0 });
    return {
      result: page.attempts.map(wireAttempt),
      ...(page.total !== undefined ? { total: page.total } : {}),
      ...(page.next !== undefined ? { next: page.next } : {}),
    };
  },
});
