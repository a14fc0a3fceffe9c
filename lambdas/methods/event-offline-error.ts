import * as z from 'zod';
import { journalStore } from '../composition';
import { errorOffline } from '../usecases/offline';
import { connector, list, messageId, text } from '../wire/params';
import { restMethod } from '../wire/rest-method';

/** `event.offline.error` (docs/journal.md). */
export const method = restMethod({
  name: 'event.offline.error',
  summary: 'Mark records a process holds as failed (they come back with error=1)',
  params: z.object({
    process_id: text(64).optional().describe('The process holding the records, required'),
    message_id: list(messageId, 1000).describe('MESSAGE_IDs of the records that failed, required'),
    auth_connector: connector,
  }),
  result: z.literal(true),
  needs: { tables: { journal: 'write' } },
  deps: (cfg) => ({ journal: journalStore(cfg) }),
  run: async ({ caller, deps, now }, p) => ({
    result: await errorOffline(deps.journal, caller, { processId: p.process_id ?? '', messageIds: p.message_id ?? [], connector: p.auth_connector ?? '' }, now),
  }),
});
