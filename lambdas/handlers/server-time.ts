import * as z from 'zod';
import { serverTime } from '../usecases/core-methods';
import { restHandler, type RestMethod } from '../wire/rest-method';

const params = z.object({});

/** `server.time` (SPEC §9): the service's clock, ISO 8601. */
export const method: RestMethod<typeof params> = {
  name: 'server.time',
  params,
  run: async ({ now }) => ({ result: serverTime(now) }),
};

export const handler = restHandler(method);
