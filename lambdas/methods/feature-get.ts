import * as z from 'zod';
import { feature } from '../usecases/core-methods';
import { text } from '../wire/params';
import { restMethod } from '../wire/rest-method';

/** `feature.get` (docs/core-methods.md): `{value: "Y"|"N"}`. */
export const method = restMethod({
  name: 'feature.get',
  summary: 'Whether this service has a feature (rest_offline_extended, rest_auth_connector)',
  params: z.object({ code: text(64).optional().describe('The feature: rest_offline_extended, rest_auth_connector; required') }),
  result: z.strictObject({ value: z.enum(['Y', 'N']) }),
  needs: { tables: {} },
  deps: () => ({}),
  run: async (_ctx, p) => ({ result: feature(p.code) }),
});
