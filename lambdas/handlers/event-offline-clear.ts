import * as z from 'zod';
import { clearOffline } from '../usecases/offline';
import { connector, list, messageId, positiveInt, text } from '../wire/params';
import { restHandler, type RestMethod } from '../wire/rest-method';

const params = z.object({
  process_id: text(64).optional().describe('The process whose records to delete, required'),
  id: list(positiveInt, 1000).describe('Only these record IDs'),
  message_id: list(messageId, 1000).describe('Only these MESSAGE_IDs (ignored when id is given)'),
  auth_connector: connector,
});

/** `event.offline.clear` (docs/journal.md): `id` wins over `message_id` when both are given. */
export const method: RestMethod<typeof params> = {
  name: 'event.offline.clear',
  params,
  run: async ({ caller, deps, now }, p) => ({
    result: await clearOffline(
      deps.journal,
      caller,
      {
        processId: p.process_id ?? '',
        ...(p.id ? { ids: p.id } : {}),
        ...(p.message_id ? { messageIds: p.message_id } : {}),
        connector: p.auth_connector ?? '',
      },
      now,
    ),
  }),
};

export const handler = restHandler(method);
