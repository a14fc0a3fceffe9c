import * as z from 'zod';
import { bind } from '../usecases/bindings';
import { restHandler, type RestMethod } from '../wire/rest-method';
import { bindingParams, bindingTarget } from './binding-params';

const params = bindingParams.extend({
  options: z
    .record(z.string(), z.unknown(), { error: 'must be an object' })
    .optional()
    .describe('Per event: minTimeout (seconds) for ONOFFLINEEVENT; format json|form for the delivery body'),
});

/** `event.bind` (docs/rest-api.md). */
export const method: RestMethod<typeof params> = {
  name: 'event.bind',
  params,
  run: async ({ caller, deps }, p) => ({
    result: await bind(deps, caller, {
      ...bindingTarget(p),
      connector: p.auth_connector ?? '',
      ...(p.options !== undefined ? { options: p.options } : {}),
    }),
  }),
};

export const handler = restHandler(method);
