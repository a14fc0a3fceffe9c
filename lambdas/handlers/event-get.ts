import * as z from 'zod';
import { getBindings } from '../usecases/bindings';
import { restHandler, type RestMethod } from '../wire/rest-method';

const params = z.object({});

/** `event.get` (docs/rest-api.md): the application's bindings in creation order. */
export const method: RestMethod<typeof params> = {
  name: 'event.get',
  params,
  run: async ({ caller, deps }) => ({ result: await getBindings(deps, caller) }),
};

export const handler = restHandler(method);
