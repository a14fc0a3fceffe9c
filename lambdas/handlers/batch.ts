import * as z from 'zod';
import { MAX_BATCH_COMMANDS, runBatch } from '../wire/batch';
import { flag } from '../wire/params';
import { restHandler, type RestMethod } from '../wire/rest-method';
import { REST_METHODS } from './methods';
// The outbound adapters this function uses (see Outbound in wiring.ts).
import '../outbound/queue';

const params = z.object({
  cmd: z.unknown().describe('Map (or list) of up to 50 sub-calls written as method?query with PHP-style parameters; $result[key][field] refers to an earlier result'),
  halt: flag.optional().describe('1: stop at the first failed sub-call'),
});

/** `batch` (docs/rest-api.md): up to 50 sub-calls with the batch's credential, HTTP 200 even when some fail. */
export const method: RestMethod<typeof params> = {
  name: 'batch',
  params,
  run: async (ctx, p) => ({ result: await runBatch(REST_METHODS, ctx, p.cmd, p.halt ?? false) }),
  // Each command weighs one request against the rate limit (docs/limits.md).
  // (Over 50 is refused as an argument error by the batch itself, not by the limit.)
  weight: (raw) => (typeof raw.cmd === 'object' && raw.cmd !== null ? Math.min(MAX_BATCH_COMMANDS, Math.max(1, Object.keys(raw.cmd).length)) : 1),
};

export const handler = restHandler(method);
