import * as z from 'zod';
import { journalStore, queueUpkeep } from '../composition';
import { DEFAULT_GET_LIMIT, getOffline } from '../usecases/offline';
import { recordQueueDepth, reportQueueUpkeep } from '../wire/metrics';
import { connector, flag, integer, text } from '../wire/params';
import { restMethod } from '../wire/rest-method';
import { journalRecord, QUEUE_FIGURES, wireQueueFigures, wireRecord } from '../wire/shapes';

/** `event.offline.get` (docs/journal.md): claim a batch, or re-read a process's batch. */
export const method = restMethod({
  name: 'event.offline.get',
  summary: 'Claim a batch of journal records (clear=1 deletes them; clear=0 reserves them under a process_id)',
  params: z.object({
    filter: z.unknown().optional().describe('Fields ID, TIMESTAMP_X, EVENT_NAME, MESSAGE_ID; operators =, !, !=, <, <=, >, >= before the field name'),
    order: z.unknown().optional().describe('Same fields, ASC|DESC; default TIMESTAMP_X ASC'),
    limit: integer.optional().describe('Records to take, default 50; ≤ 0 is an argument error'),
    clear: flag.optional().describe('1 (default): delete what is returned; 0: reserve it under process_id'),
    process_id: text(64).optional().describe('Re-read the records a clear=0 call reserved'),
    auth_connector: connector,
    error: flag.optional().describe('1: take error records instead of normal ones'),
  }),
  result: z.strictObject({
    process_id: z.string().nullable().describe('null with clear=1; the reservation with clear=0'),
    events: z.array(journalRecord),
  }),
  envelope: { queue: QUEUE_FIGURES },
  needs: { tables: { journal: 'write' } },
  deps: (cfg) => {
    const upkeep = queueUpkeep(cfg);
    upkeep.report = reportQueueUpkeep;
    return { journal: journalStore(cfg), upkeep };
  },
  run: async ({ caller, deps, now }, p) => {
    const { processId, records, queue } = await getOffline(
      deps.journal,
      caller,
      {
        filter: p.filter,
        order: p.order,
        limit: p.limit ?? DEFAULT_GET_LIMIT,
        clear: p.clear ?? true,
        ...(p.process_id ? { processId: p.process_id } : {}),
        connector: p.auth_connector ?? '',
        error: p.error ?? false,
      },
      now,
      deps.upkeep,
    );
    recordQueueDepth(queue.pending, queue.oldestAge);
    // Beyond Bitrix24: the queue's figures next to the result (docs/journal.md).
    return { result: { process_id: processId, events: records.map(wireRecord) }, extra: { queue: wireQueueFigures(queue) } };
  },
});
