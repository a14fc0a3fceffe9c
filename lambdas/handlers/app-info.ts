import * as z from 'zod';
import { applicationInfo } from '../usecases/core-methods';
import { restHandler, type RestMethod } from '../wire/rest-method';

const params = z.object({});

/** `app.info` (SPEC §9): the calling application's installation in Bitrix24's shape. */
export const method: RestMethod<typeof params> = {
  name: 'app.info',
  params,
  run: async ({ caller }) => ({ result: applicationInfo(caller) }),
};

export const handler = restHandler(method);
