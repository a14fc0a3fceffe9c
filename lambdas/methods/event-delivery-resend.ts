import * as z from 'zod';
import { bindingStore, deliveryLog, deliveryQueue } from '../composition';
import { errors } from '../domain/errors';
import { resendDeliveries } from '../usecases/delivery-history';
import { restMethod } from '../wire/rest-method';

/** One id, a list (`id[]=…`) or a PHP-style map (`id[0]=…`): a list of strings, or a 400. */
function idList(raw: unknown): string[] | undefined {
  if (raw === undefined || raw === '') return undefined;
  const values = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw : typeof raw === 'object' && raw !== null ? Object.values(raw) : [raw];
  return values.map((v) => {
    if (typeof v !== 'string') throw errors.argument('ID', 'ID must be a delivery id or a list of them');
    return v.trim();
  });
}

/** `event.delivery.resend` (docs/delivery.md "Replay"): queue deliveries again with their original payload and webhook-id. */
export const method = restMethod({
  name: 'event.delivery.resend',
  summary: 'Beyond Bitrix24: deliver again, by id or by a filter like event.delivery.list, with the original payload and webhook-id',
  params: z.object({
    id: z
      .union([z.string(), z.array(z.unknown()), z.record(z.string(), z.unknown())])
      .optional()
      .describe('A delivery id (msg_…) or a list of them; or give filter'),
    filter: z.unknown().optional().describe('As event.delivery.list: every delivery with a matching attempt (at most 1000)'),
  }),
  result: z.strictObject({ count: z.number().int().min(0) }),
  needs: { tables: { deliveries: 'read', bindings: 'read' }, deliveryQueue: true },
  deps: (cfg) => ({ log: deliveryLog(cfg), bindings: bindingStore(cfg), queue: deliveryQueue(cfg), retentionMs: cfg.ATTEMPT_RETENTION_DAYS * 86_400_000 }),
  run: async ({ caller, deps, now }, p) => {
    const ids = idList(p.id);
    return { result: await resendDeliveries(deps, caller, { ...(ids ? { ids } : {}), ...(p.filter !== undefined ? { filter: p.filter } : {}) }, now) };
  },
});
