import * as z from 'zod';
import { journalStore } from '../composition';
import { listOffline } from '../usecases/offline';
import { connector, integer } from '../wire/params';
import { restMethod } from '../wire/rest-method';
import { listedRecord, PAGED, wireListedRecord } from '../wire/shapes';

/** `event.offline.list` (docs/journal.md): read the queue, never claim. */
export const method = restMethod({
  name: 'event.offline.list',
  summary: 'Read the journal queue (pending, reserved and error records) without claiming',
  params: z.object({
    filter: z.unknown().optional().describe('As event.offline.get, plus PROCESS_ID and ERROR'),
    order: z.unknown().optional().describe('As the filter fields, ASC|DESC; default ID ASC'),
    start: integer.optional().describe('Offset of the page of 50; -1 = no count (total and next are left out)'),
    auth_connector: connector,
  }),
  result: z.array(listedRecord),
  envelope: PAGED,
  needs: { tables: { journal: 'read' } },
  deps: (cfg) => ({ journal: journalStore(cfg) }),
  run: async ({ caller, deps, now }, p) => {
    const page = await listOffline(deps.journal, caller, { filter: p.filter, order: p.order, start: p.start ?? 0, connector: p.auth_connector ?? '' }, now);
    return {
      result: page.records.map(wireListedRecord),
      ...(page.total !== undefined ? { total: page.total } : {}),
      ...(page.next !== undefined ? { next: page.next } : {}),
    };
  },
});
