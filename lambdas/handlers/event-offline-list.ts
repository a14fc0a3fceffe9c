import * as z from 'zod';
import { listOffline } from '../usecases/offline';
import { connector, integer } from '../wire/params';
import { restHandler, type RestMethod } from '../wire/rest-method';

const params = z.object({
  filter: z.unknown().optional().describe('As event.offline.get, plus PROCESS_ID and ERROR'),
  order: z.unknown().optional().describe('As the filter fields, ASC|DESC; default ID ASC'),
  start: integer.optional().describe('Offset of the page of 50; -1 = no count (total and next are left out)'),
  auth_connector: connector,
});

/** `event.offline.list` (docs/journal.md): read the queue, never claim. */
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
