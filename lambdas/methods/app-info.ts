import * as z from 'zod';
import { applicationInfo } from '../usecases/core-methods';
import { restMethod } from '../wire/rest-method';

/** `app.info` (docs/core-methods.md): the calling application's installation in Bitrix24's shape. */
export const method = restMethod({
  name: 'app.info',
  summary: "The calling application's installation",
  params: z.object({}),
  result: z.strictObject({
    ID: z.number().int().describe('A stable number for the installation'),
    CODE: z.string().describe('The client id'),
    VERSION: z.number().int(),
    STATUS: z.enum(['L', 'F', 'D', 'T', 'P']),
    INSTALLED: z.boolean(),
    PAYMENT_EXPIRED: z.enum(['Y', 'N']),
    DAYS: z.number().int().nullable(),
    LANGUAGE_ID: z.string(),
    LICENSE: z.string(),
    LICENSE_TYPE: z.string(),
    LICENSE_FAMILY: z.string(),
  }),
  needs: { tables: {} },
  deps: () => ({}),
  run: async ({ caller }) => ({ result: applicationInfo(caller) }),
});
