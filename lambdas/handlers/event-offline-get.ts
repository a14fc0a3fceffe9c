import * as z from 'zod';
import { DEFAULT_GET_LIMIT, getOffline } from '../usecases/offline';
import { connector, flag, integer, text } from '../wire/params';
import { restHandler, type RestMethod } from '../wire/rest-method';

const params = z.object({
  filter: z.unknown().optional(),
  order: z.unknown().optional(),
  limit: integer.optional(),
  clear: flag.optional(),
  process_id: text(64).optional(),
  auth_connector: connector,
  error: flag.optional(),
});

/** `event.offline.get` (SPEC §5): claim a batch, or re-read a process's batch. */
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
    // Beyond Bitrix24: the queue's figures next to the result (README, "event.offline.get").
    return { result, extra: { queue } };
  },
};

export const handler = restHandler(method);
