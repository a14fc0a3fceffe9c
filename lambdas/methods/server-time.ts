import * as z from 'zod';
import { serverTime } from '../usecases/core-methods';
import { restMethod } from '../wire/rest-method';

/** `server.time` (docs/core-methods.md): the service's clock, ISO 8601. */
export const method = restMethod({
  name: 'server.time',
  summary: "The service's clock",
  params: z.object({}),
  result: z.string().describe('YYYY-MM-DDThh:mm:ss+00:00'),
  needs: { tables: {} },
  deps: () => ({}),
  run: async ({ now }) => ({ result: serverTime(now) }),
});
