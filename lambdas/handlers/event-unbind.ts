import { unbind } from '../usecases/bindings';
import { restHandler, type RestMethod } from '../wire/rest-method';
import { bindingParams, bindingTarget } from './binding-params';

const params = bindingParams;

/** `event.unbind` (docs/rest-api.md): answers `{count}`. */
export const method: RestMethod<typeof params> = {
  name: 'event.unbind',
  params,
  run: async ({ caller, deps }, p) => ({
    result: await unbind(deps, caller, {
      ...bindingTarget(p),
      // Online, a connector narrows the match only when given; offline, absent means "none".
      ...(p.auth_connector !== undefined ? { connector: p.auth_connector } : {}),
    }),
  }),
};

export const handler = restHandler(method);
