import * as z from 'zod';
import { errorOffline } from '../usecases/offline';
import { connector, list, messageId, text } from '../wire/params';
import { restHandler, type RestMethod } from '../wire/rest-method';

const params = z.object({
  process_id: text(64).optional().describe('The process holding the records, required'),
  message_id: list(messageId, 1000).describe('MESSAGE_IDs of the records that failed, required'),
  auth_connector: connector,
});

/** `event.offline.error` (docs/journal.md). */
export const method: RestMethod<typeof params> = {
  name: 'event.offline.error',
  params,
  run: async ({ caller, deps, now }, p) => ({
    result: await errorOffline(
      deps.journal,
      caller,
      { processId: p.process_id ?? '', messageIds: p.message_id ?? [], connector: p.auth_connector ?? '' },
      now,
    ),
  }),
};

export const handler = restHandler(method);
