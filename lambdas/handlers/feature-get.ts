import * as z from 'zod';
import { feature } from '../usecases/core-methods';
import { text } from '../wire/params';
import { restHandler, type RestMethod } from '../wire/rest-method';

const params = z.object({ code: text(64).optional().describe('The feature: rest_offline_extended, rest_auth_connector; required') });

/** `feature.get` (SPEC §9): `{value: "Y"|"N"}`. */
export const method: RestMethod<typeof params> = {
  name: 'feature.get',
  params,
  run: async (_ctx, p) => ({ result: feature(p.code) }),
};

export const handler = restHandler(method);
