import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import * as z from 'zod';
import { errors } from '../domain/errors';
import type { Caller } from '../domain/model';
import { authenticate } from '../usecases/authenticate';
import { wiring, type Wiring } from '../wiring';
import { logger } from './logger';
import { parseRestCall } from './request';
import { errorResponse, successResponse, toBitrixError, type MethodOutput } from './response';

export interface MethodContext {
  caller: Caller;
  deps: Wiring;
  /** Unix ms at which the request arrived. */
  now: number;
}

export interface RestMethod<S extends z.ZodType> {
  /** The method name, lower-case (`event.offline.get`). */
  name: string;
  params: S;
  run: (ctx: MethodContext, params: z.output<S>) => Promise<MethodOutput>;
  /** How many requests the call weighs against the rate limit (default 1; `batch`: its commands). */
  weight?: (params: Record<string, unknown>) => number;
}

export type RestHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/** Turns a zod failure into Bitrix's ERROR_ARGUMENT naming the first bad argument. */
export function argumentError(error: z.ZodError) {
  const issue = error.issues[0]!;
  const argument = String(issue.path[0] ?? 'params').toUpperCase();
  const field = issue.path.map(String).join('.').toUpperCase() || argument;
  return errors.argument(argument, `Invalid value of argument '${field}': ${issue.message}`);
}

/** Runs one REST call to completion: parse, authenticate, validate, run, envelope. */
export async function runRestCall<S extends z.ZodType>(method: RestMethod<S>, event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const started = Date.now();
  try {
    const deps = wiring();
    const call = parseRestCall(event, deps.config.MAX_BODY_BYTES);
    if (call.method !== method.name) throw errors.methodNotFound();
    const caller = await authenticate(deps.registry, call.credential, Math.floor(started / 1000));
    logger.appendKeys({ member_id: caller.memberId, client_id: caller.clientId, method: method.name });
    if (!(await deps.rateLimiter.admit(caller.memberId, caller.clientId, method.weight?.(call.params) ?? 1, started))) throw errors.rateLimited();
    const parsed = method.params.safeParse(call.params);
    if (!parsed.success) throw argumentError(parsed.error);
    const processingStarted = Date.now();
    const output = await method.run({ caller, deps, now: started }, parsed.data);
    return successResponse(output, started, Date.now() - processingStarted);
  } catch (error) {
    return failureResponse(error);
  }
}

/** The one way a request fails: map the error, log it (unexpected ones with detail), answer it. */
export function failureResponse(error: unknown): APIGatewayProxyStructuredResultV2 {
  const mapped = toBitrixError(error);
  if (mapped.unexpected) logger.error('request failed', { error: error as Error });
  else logger.info('request refused', { error: mapped.error.code });
  return errorResponse(mapped.error);
}

/** The Lambda entry for one REST method: middy adds the Lambda context to every log line. */
export function restHandler<S extends z.ZodType>(method: RestMethod<S>): RestHandler {
  return middy((event: APIGatewayProxyEventV2) => runRestCall(method, event)).use(
    injectLambdaContext(logger, { resetKeys: true }),
  ) as unknown as RestHandler;
}
