import * as z from 'zod';
import { eventCatalog } from '../composition';
import { scopes } from '../usecases/core-methods';
import { flag } from '../wire/params';
import { restMethod } from '../wire/rest-method';

/** `scope` (docs/core-methods.md): the installation's granted scopes. */
export const method = restMethod({
  name: 'scope',
  summary: "The installation's granted scopes (full: every scope this service knows)",
  params: z.object({ full: flag.optional().describe('true: every scope this service knows') }),
  result: z.array(z.string()).describe('Scope names'),
  needs: { tables: {} },
  deps: (cfg) => ({ catalog: eventCatalog(cfg) }),
  run: async ({ caller, deps }, p) => ({ result: scopes(deps, caller, { full: p.full ?? false }) }),
});
