import * as z from 'zod';
import { methodList } from '../usecases/core-methods';
import { flag, text } from '../wire/params';
import { restHandler, type RestMethod } from '../wire/rest-method';
import { REST_METHOD_ENTRIES } from './registry';

const params = z.object({
  full: flag.optional().describe('true: every method'),
  scope: text(32).optional().describe('Only the methods of this scope ("" or basic: all of this service’s)'),
});

/** `methods` (SPEC §9): the REST methods this credential can call. */
export const method: RestMethod<typeof params> = {
  name: 'methods',
  params,
  run: async (_ctx, p) => ({ result: methodList(Object.keys(REST_METHOD_ENTRIES), { full: p.full ?? false, ...(p.scope !== undefined ? { scope: p.scope } : {}) }) }),
};

export const handler = restHandler(method);
