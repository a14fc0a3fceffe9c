import * as z from 'zod';
import { profile } from '../usecases/core-methods';
import { restHandler, type RestMethod } from '../wire/rest-method';

const params = z.object({});

/** `profile` (SPEC §9): the calling user's id and admin flag. */
export const method: RestMethod<typeof params> = {
  name: 'profile',
  params,
  run: async ({ caller }) => ({ result: profile(caller) }),
};

export const handler = restHandler(method);
