import qs from 'qs';
import { errors } from '../domain/errors';
import { logger } from './logger';
import { lowerCaseKeys, PHP_STYLE } from './request';
import { errorBody, timeBlock, toBitrixError } from './response';
import { argumentError, type MethodContext } from './rest-method';

/** Sub-calls per batch (docs/rest-api.md, as Bitrix24). */
export const MAX_BATCH_COMMANDS = 50;

type Keyed<T> = Record<string, T> | T[];

export interface BatchResult {
  result: Keyed<unknown>;
  result_error: Keyed<Record<string, unknown>>;
  result_total: Keyed<number>;
  result_next: Keyed<number>;
  result_time: Keyed<Record<string, unknown>>;
}

/**
 * `batch` (docs/rest-api.md): runs up to 50 sub-calls written as `method?query` (PHP-style
 * parameters), in order, with the batch's caller. A failed sub-call fills `result_error`;
 * with `halt` the batch stops there. `$result[key]…` in a parameter value is replaced by that
 * part of an earlier sub-call's result. Empty maps are written `[]`, as Bitrix24's PHP does.
 */
export async function runBatch(ctx: MethodContext, cmd: unknown, halt: boolean): Promise<BatchResult> {
  if (cmd === null || typeof cmd !== 'object') throw errors.argument('CMD', 'Argument \'CMD\' must be a map or a list of method?query strings');
  const asList = Array.isArray(cmd);
  const entries = Object.entries(cmd as Record<string, unknown>);
  if (entries.length === 0) throw errors.argumentEmpty('cmd');
  if (entries.length > MAX_BATCH_COMMANDS) throw errors.argument('CMD', `A batch runs at most ${MAX_BATCH_COMMANDS} commands`);

  const results: Record<string, unknown> = {};
  const failures: Record<string, Record<string, unknown>> = {};
  const totals: Record<string, number> = {};
  const nexts: Record<string, number> = {};
  const times: Record<string, Record<string, unknown>> = {};
  for (const [key, command] of entries) {
    const started = Date.now();
    try {
      if (typeof command !== 'string') throw errors.argument('CMD', `Command '${key}' must be a string`);
      const [rawName = '', query = ''] = command.split(/\?(.*)/s, 2);
      const method = ctx.methods.get(rawName.trim().toLowerCase().replace(/\.json$/, ''));
      // A batch inside a batch is not a method a sub-call can name (as Bitrix24).
      if (!method || method.aggregate) throw errors.methodNotFound();
      const params = lowerCaseKeys(substituteResults(qs.parse(query, PHP_STYLE) as Record<string, unknown>, results));
      delete params.auth;
      delete params.access_token;
      const parsed = method.params.safeParse(params);
      if (!parsed.success) throw argumentError(parsed.error);
      const output = await ctx.methods.run(method, { caller: ctx.caller, now: ctx.now }, parsed.data);
      results[key] = output.result;
      if (output.total !== undefined) totals[key] = output.total;
      if (output.next !== undefined) nexts[key] = output.next;
    } catch (error) {
      const mapped = toBitrixError(error);
      if (mapped.unexpected) logger.error('batch command failed', { command: key, error: error as Error });
      failures[key] = errorBody(mapped.error);
    }
    times[key] = timeBlock(started, Date.now() - started);
    if (halt && failures[key]) break;
  }
  const shape = <T>(map: Record<string, T>): Keyed<T> => (Object.keys(map).length === 0 ? [] : asList ? Object.entries(map).map(([, v]) => v) : map);
  return { result: shape(results), result_error: shape(failures), result_total: shape(totals), result_next: shape(nexts), result_time: shape(times) };
}

const REFERENCE = /^\$result\[([^\]]+)\]((?:\[[^\]]*\])*)$/;

/** Replaces `$result[key][field]…` values with the part of an earlier result they name. */
function substituteResults(params: Record<string, unknown>, results: Record<string, unknown>): Record<string, unknown> {
  const visit = (value: unknown): unknown => {
    if (typeof value === 'string') {
      const match = REFERENCE.exec(value.trim());
      if (!match) return value;
      let current: unknown = results[match[1]!];
      for (const [, part] of match[2]!.matchAll(/\[([^\]]*)\]/g)) current = current !== null && typeof current === 'object' ? (current as Record<string, unknown>)[part!] : undefined;
      return current === undefined ? value : typeof current === 'object' ? current : String(current);
    }
    if (Array.isArray(value)) return value.map(visit);
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, visit(v)]));
    return value;
  };
  return visit(params) as Record<string, unknown>;
}
