import * as z from 'zod';
import { listEvents } from '../usecases/bindings';
import { flag, text } from '../wire/params';
import { restHandler, type RestMethod } from '../wire/rest-method';

const params = z.object({
  scope: text(32).optional().describe('Only the events of this scope'),
  full: flag.optional().describe('1: every event, as event name → scope'),
});

/** `events`: the event catalog this application can bind (docs/rest-api.md). */
export const method: RestMethod<typeof params> = {
  name: 'events',
  params,
  run: async ({ caller, deps }, p) => ({
    result: listEvents(deps, caller, { ...(p.scope ? { scope: p.scope } : {}), ...(p.full ? { full: true } : {}) }),
  }),
};

export const handler = restHandler(method);
