import * as z from 'zod';
import { scopes } from '../usecases/core-methods';
import { flag } from '../wire/params';
import { restHandler, type RestMethod } from '../wire/rest-method';

const params = z.object({ full: flag.optional().describe('true: every scope this service knows') });

/** `scope` (SPEC §9): the installation's granted scopes. */
export const method: RestMethod<typeof params> = {
  name: 'scope',
  params,
  run: async ({ caller, deps }, p) => ({ result: scopes(deps, caller, { full: p.full ?? false }) }),
};

export const handler = restHandler(method);
