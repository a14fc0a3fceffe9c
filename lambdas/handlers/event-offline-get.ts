import * as z from 'zod';
import { DEFAULT_GET_LIMIT, getOffline } from '../usecases/offline';
import { connector, flag, integer, text } from '../wire/params';
import { restHandler, type RestMethod } from '../wire/rest-method';
import { recordQueueDepth } from '../wire/metrics';

const params = z.object({
  filter: z.unknown().optional().describe('Fields ID, TIMESTAMP_X, EVENT_NAME, MESSAGE_ID; operators =, !, !=, <, <=, >, >= before the field name'),
  order: z.unknown().optional().describe('Same fields, ASC|DESC; default TIMESTAMP_X ASC'),
  limit: integer.optional().describe('Records to take, default 50; ≤ 0 is an argument error'),
  clear: flag.optional().describe('1 (default): delete what is returned; 0: reserve it under process_id'),
  process_id: text(64).optional().describe('Re-read the records a clear=0 call reserved'),
  auth_connector: connector,
  error: flag.optional().describe('1: take error records instead of normal ones'),
});

/** `event.offline.get` (docs/journal.md): claim a batch, or re-read a process's batch. */
export const method: RestMethod<typeof params> = {
  name: 'event.offline.get',
  params,
  run: async ({ caller, deps, now }, p) => {
    const { result, queue } = await getOffline(
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
    );
    recordQueueDepth(queue.pending, queue.oldest_age);
    // Beyond Bitrix24: the queue's figures next to the result (docs/journal.md, "the queue's figures").
    return { result, extra: { queue } };
  },
};

export const handler = restHandler(method);
