import * as z from 'zod';
import { profile } from '../usecases/core-methods';
import { restMethod } from '../wire/rest-method';

/** `profile` (docs/core-methods.md): the calling user's id and admin flag. */
export const method = restMethod({
  name: 'profile',
  summary: "The calling user's id and administrator flag",
  params: z.object({}),
  result: z.strictObject({
    ID: z.string(),
    ADMIN: z.boolean(),
    NAME: z.string(),
    LAST_NAME: z.string(),
    PERSONAL_GENDER: z.string(),
    TIME_ZONE: z.string(),
  }),
  needs: { tables: {} },
  deps: () => ({}),
  run: async ({ caller }) => ({ result: profile(caller) }),
});
