import * as z from 'zod';
import { MAX_BATCH_COMMANDS, runBatch } from '../wire/batch';
import { flag } from '../wire/params';
import { restMethod } from '../wire/rest-method';
import { ERROR_BODY, keyed } from '../wire/shapes';

/** `batch` (docs/rest-api.md): up to 50 sub-calls with the batch's credential, HTTP 200 even when some fail. */
export const method = restMethod({
  name: 'batch',
  summary: 'Up to 50 sub-calls in one request',
  params: z.object({
    cmd: z.unknown().describe('Map (or list) of up to 50 sub-calls written as method?query with PHP-style parameters; $result[key][field] refers to an earlier result'),
    halt: flag.optional().describe('1: stop at the first failed sub-call'),
  }),
  result: z.strictObject({
    result: keyed(z.unknown()),
    result_error: keyed(ERROR_BODY),
    result_total: keyed(z.number()),
    result_next: keyed(z.number()),
    result_time: keyed(z.record(z.string(), z.unknown())),
  }),
  // Its sub-calls run with their own methods' dependencies: its needs are theirs.
  aggregate: true,
  needs: { tables: {} },
  deps: () => ({}),
  run: async (ctx, p) => ({ result: await runBatch(ctx, p.cmd, p.halt ?? false) }),
  // Each command weighs one request against the rate limit (docs/limits.md).
  // (Over 50 is refused as an argument error by the batch itself, not by the limit.)
  weight: (raw) => (typeof raw.cmd === 'object' && raw.cmd !== null ? Math.min(MAX_BATCH_COMMANDS, Math.max(1, Object.keys(raw.cmd).length)) : 1),
});
