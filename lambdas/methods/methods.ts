import * as z from 'zod';
import { methodList } from '../usecases/core-methods';
import { flag, text } from '../wire/params';
import { restMethod } from '../wire/rest-method';

/** `methods` (docs/core-methods.md): the REST methods this credential can call. */
export const method = restMethod({
  name: 'methods',
  summary: 'The REST methods this service serves',
  params: z.object({
    full: flag.optional().describe('true: every method'),
    scope: text(32).optional().describe('Only the methods of this scope ("" or basic: all of this service’s)'),
  }),
  result: z.array(z.string()).describe('Method names'),
  needs: { tables: {} },
  // Its function is built with the names of every method (lib/entries.ts).
  listsMethods: true,
  deps: () => ({}),
  run: async ({ methods }, p) => ({ result: methodList(methods.names(), { full: p.full ?? false, ...(p.scope !== undefined ? { scope: p.scope } : {}) }) }),
});
