import * as z from 'zod';
import { listOffline } from '../usecases/offline';
import { connector, integer } from '../wire/params';
import { restHandler, type RestMethod } from '../wire/rest-method';

const params = z.object({
  filter: z.unknown().optional(),
  order: z.unknown().optional(),
  start: integer.optional(),
  auth_connector: connector,
});

/** `event.offline.list` (SPEC §5): read the queue, never claim. */
export const method: RestMethod<typeof params> = {
  name: 'event.offline.list',
  params,
  run: async ({ caller, deps, now }, p) => {
    const page = await listOffline(
      deps.journal,
      caller,
      { filter: p.filter, order: p.order, start: p.start ?? 0, connector: p.auth_connector ?? '' },
      now,
    );
    return {
      result: page.rows,
      ...(page.total !== undefined ? { total: page.total } : {}),
      ...(page.next !== undefined ? { next: page.next } : {}),
    };
  },
};

export const handler = restHandler(method);
