import * as z from 'zod';
import { eventCatalog } from '../composition';
import { listEvents } from '../usecases/bindings';
import { flag, text } from '../wire/params';
import { restMethod } from '../wire/rest-method';

/** `events`: the event catalog this application can bind (docs/rest-api.md). */
export const method = restMethod({
  name: 'events',
  summary: 'The events this application may bind',
  params: z.object({
    scope: text(32).optional().describe('Only the events of this scope'),
    full: flag.optional().describe('1: every event, as event name → scope'),
  }),
  result: z.array(z.string()).describe('Event names'),
  needs: { tables: {} },
  deps: (cfg) => ({ catalog: eventCatalog(cfg) }),
  run: async ({ caller, deps }, p) => ({
    result: listEvents(deps, caller, { ...(p.scope ? { scope: p.scope } : {}), ...(p.full ? { full: true } : {}) }),
  }),
});
