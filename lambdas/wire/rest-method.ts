import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import * as z from 'zod';
import type { Config } from '../config';
import { errors } from '../domain/errors';
import type { Caller } from '../domain/model';
import type { RateLimiter } from '../domain/ports';
import { authenticate, type CredentialSource } from '../usecases/authenticate';
import { logger } from './logger';
import { parseRestCall } from './request';
import { errorResponse, successResponse, toBitrixError, type MethodOutput } from './response';

/** The tables a method may touch, and how: the CDK grants come from this. */
export type TableName = 'registry' | 'bindings' | 'journal' | 'deliveries';
export type Access = 'read' | 'write';

/**
 * What a method needs beyond the REST front (which reads the registry to authenticate and
 * takes from the rate-limit bucket for every method): the CDK stack grants exactly this and
 * sets the matching environment. A test checks that `deps` builds nothing outside it.
 */
export interface Needs {
  tables: Partial<Record<TableName, Access>>;
  /** Sends to the delivery queue (ONAPPTEST, lifecycle events). */
  deliveryQueue?: true;
}

export interface MethodContext<D = unknown> {
  caller: Caller;
  deps: D;
  /** Unix ms at which the request arrived. */
  now: number;
  /** Every other method, for methods that run them in-process (`batch`). */
  methods: MethodSet;
}

/**
 * One REST method: everything the router, `batch`, the OpenAPI document, the CDK stack and
 * the local runtime need to know about it. One file per method under `lambdas/methods/`.
 */
export interface RestMethod<S extends z.ZodType = z.ZodType, D = unknown> {
  /** The method name, lower-case (`event.offline.get`). */
  name: string;
  /** One line for the OpenAPI document. */
  summary: string;
  params: S;
  /** What the method puts in `result`. */
  result: z.ZodType;
  /** Top-level keys beside `result` and `time` (`total`/`next` of lists, `queue`). */
  envelope?: z.ZodRawShape;
  needs: Needs;
  /**
   * Builds the ports `run` takes, from the configuration, with the factories of
   * lambdas/composition.ts. Called once per container.
   */
  deps: (cfg: Config) => D;
  run: (ctx: MethodContext<D>, params: z.output<S>) => Promise<MethodOutput>;
  /** How many requests the call weighs against the rate limit (default 1; `batch`: its commands). */
  weight?: (params: Record<string, unknown>) => number;
  /** Runs the other methods in-process (`batch`): its function is built with all of them, and their needs are its needs. */
  aggregate?: true;
  /** Lists every method's name (`methods`): its function is built with the names. */
  listsMethods?: true;
}

// The descriptor list is heterogeneous: each method's own types are checked in its file.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRestMethod = RestMethod<z.ZodType, any>;

/** Declares a method, inferring its parameter and dependency types. */
export function restMethod<S extends z.ZodType, D>(method: RestMethod<S, D>): RestMethod<S, D> {
  return method;
}

/** The methods a function serves, by name, each with its dependencies built on first use. */
export interface MethodSet {
  get(name: string): AnyRestMethod | undefined;
  /** The names of every method the service serves (what `methods` lists). */
  names(): readonly string[];
  /** Runs a method with its own dependencies (built once per container). */
  run(method: AnyRestMethod, ctx: Omit<MethodContext, 'deps' | 'methods'>, params: unknown): Promise<MethodOutput>;
}

export function methodSet(methods: readonly AnyRestMethod[], cfg: () => Config, names: readonly string[] = methods.map((m) => m.name)): MethodSet {
  const byName = new Map(methods.map((m) => [m.name, m]));
  const built = new Map<AnyRestMethod, unknown>();
  const set: MethodSet = {
    get: (name) => byName.get(name),
    names: () => names,
    run: (method, ctx, params) => {
      if (!built.has(method)) built.set(method, method.deps(cfg()));
      return method.run({ ...ctx, deps: built.get(method), methods: set }, params);
    },
  };
  return set;
}

/** What every REST call needs before its method runs: authentication and the rate limit. */
export interface RestFront {
  config: Config;
  registry: CredentialSource;
  rateLimiter: RateLimiter;
}

export type RestHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/** Turns a zod failure into Bitrix's ERROR_ARGUMENT naming the first bad argument. */
export function argumentError(error: z.ZodError) {
  const issue = error.issues[0]!;
  const argument = String(issue.path[0] ?? 'params').toUpperCase();
  const field = issue.path.map(String).join('.').toUpperCase() || argument;
  return errors.argument(argument, `Invalid value of argument '${field}': ${issue.message}`);
}

/** Runs one REST call to completion: parse, authenticate, rate-limit, validate, run, envelope. */
export async function runRestCall(method: AnyRestMethod, front: RestFront, methods: MethodSet, event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const started = Date.now();
  try {
    const call = parseRestCall(event, front.config.MAX_BODY_BYTES);
    if (call.method !== method.name) throw errors.methodNotFound();
    const caller = await authenticate(front.registry, call.credential, Math.floor(started / 1000));
    logger.appendKeys({ member_id: caller.memberId, client_id: caller.clientId, method: method.name });
    if (!(await front.rateLimiter.admit(caller.memberId, caller.clientId, method.weight?.(call.params) ?? 1, started))) throw errors.rateLimited();
    const parsed = method.params.safeParse(call.params);
    if (!parsed.success) throw argumentError(parsed.error);
    const processingStarted = Date.now();
    const output = await methods.run(method, { caller, now: started }, parsed.data);
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

/**
 * The Lambda handler of one REST method. `front` is built on the first request (the
 * configuration is read then, not when the file is loaded); `siblings` are the methods an
 * aggregate method (`batch`) may run; `names` every method's name (for `methods`). middy adds
 * the Lambda context to every log line.
 */
export function restHandler(method: AnyRestMethod, front: () => RestFront, siblings: readonly AnyRestMethod[] = [], names?: readonly string[]): RestHandler {
  let ready: { front: RestFront; methods: MethodSet } | undefined;
  return middy(async (event: APIGatewayProxyEventV2) => {
    try {
      if (!ready) {
        const built = front();
        ready = { front: built, methods: methodSet([method, ...siblings], () => built.config, names) };
      }
    } catch (error) {
      return failureResponse(error);
    }
    return runRestCall(method, ready.front, ready.methods, event);
  }).use(injectLambdaContext(logger, { resetKeys: true })) as unknown as RestHandler;
}
