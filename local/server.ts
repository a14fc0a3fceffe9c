import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { errors } from '../lambdas/domain/errors';
import { healthResponse } from '../lambdas/handlers/health';
import { restEntry } from '../lambdas/handlers/rest';
import { restMethods } from '../lambdas/method-list';
import { parseRestPath } from '../lambdas/wire/request';
import { CORS_HEADERS, errorResponse, wireErrors } from '../lambdas/wire/response';
import type { RestHandler } from '../lambdas/wire/rest-method';

/**
 * The local HTTP front: it does what API Gateway does for the deployed stack. It reads the
 * request, builds the same API Gateway HTTP API (payload v2.0) event, invokes the same handler
 * file the route's Lambda runs, and writes the handler's result back.
 */
export interface LocalServerOptions {
  maxBodyBytes: number;
  /** PEM certificate and key: serve HTTPS (the JS SDK's B24Hook refuses plain http). */
  tls?: { cert: Buffer; key: Buffer };
  /** The base URL clients see: the `servers` entry of `/openapi.json`. */
  publicUrl?: string;
}

/** The same handlers the stack's REST functions run: one per method (lib/entries.ts), by method name. */
function restHandlers(): Map<string, RestHandler> {
  const methods = restMethods();
  return new Map(methods.map((method) => [method.name, restEntry(method, method.aggregate ? methods.filter((m) => !m.aggregate) : [], methods.map((m) => m.name))]));
}

/** The other routes' handlers, loaded on first use. */
const OTHER_ROUTES = {
  producer: async (): Promise<RestHandler> => (await import('../lambdas/handlers/publish')).handler,
  'oauth-token': async (): Promise<RestHandler> => (await import('../lambdas/handlers/oauth-token')).handler,
  console: async (): Promise<RestHandler> => (await import('../lambdas/handlers/console')).handler as RestHandler,
};

export function createLocalServer(options: LocalServerOptions): Server {
  const rest = restHandlers();
  const methods = restMethods();

  // The document is generated once per base URL it names, not on every request.
  const openApi = new Map<string, Promise<string>>();
  const openApiFor = (serverUrl: string): Promise<string> => {
    let body = openApi.get(serverUrl);
    if (!body) {
      body = import('../lambdas/wire/openapi').then(({ openApiDocument }) => JSON.stringify(openApiDocument(methods, serverUrl)));
      openApi.set(serverUrl, body);
    }
    return body;
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    void serve(req, res).catch((error: unknown) => {
      // Only a bug in this file lands here: handlers answer their own errors.
      console.error('local server error', error);
      if (!res.headersSent) send(res, errorResponse(errors.internal()));
      else res.destroy();
    });
  };
  return options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, listener) : createServer(listener);

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    if (method === 'OPTIONS') {
      res.writeHead(204, { ...CORS_HEADERS, 'access-control-max-age': '86400' }).end();
      return;
    }

    let entry: string;
    let load: () => Promise<RestHandler>;
    let routeKey: string;
    if (url.pathname.toLowerCase().startsWith('/rest/')) {
      routeKey = 'ANY /rest/{proxy+}';
      const path = parseRestPath(url.pathname);
      // Only REST methods: the producer and OAuth handlers are no method (as on AWS, where the fallback refuses them).
      const handler = path ? rest.get(path.method) : undefined;
      if (!path || !handler) {
        await drain(req);
        send(res, errorResponse(errors.methodNotFound()));
        return;
      }
      entry = path.method;
      load = async () => handler;
    } else if (url.pathname.replace(/\/+$/, '').toLowerCase() === '/oauth/token' && (method === 'GET' || method === 'POST')) {
      routeKey = `${method} /oauth/token`;
      entry = 'oauth-token';
      load = OTHER_ROUTES['oauth-token'];
    } else if (url.pathname.replace(/\/+$/, '') === '/health' && method === 'GET') {
      await drain(req);
      send(res, healthResponse());
      return;
    } else if (url.pathname === '/openapi.json' && (method === 'GET' || method === 'HEAD')) {
      await drain(req);
      const body = await openApiFor(options.publicUrl ?? `${options.tls ? 'https' : 'http'}://${req.headers.host ?? '127.0.0.1'}`);
      send(res, { statusCode: 200, headers: { 'content-type': 'application/json; charset=utf-8', ...CORS_HEADERS }, body });
      return;
    } else if (url.pathname === '/console' || url.pathname.startsWith('/console/')) {
      // The web console (docs/console.md): one function for its files and its API, as on AWS.
      routeKey = 'ANY /console/{proxy+}';
      entry = 'console';
      load = OTHER_ROUTES.console;
    } else if (url.pathname.replace(/\/+$/, '') === '/producer/events' && method === 'POST') {
      routeKey = 'POST /producer/events';
      entry = 'producer';
      load = OTHER_ROUTES.producer;
    } else {
      await drain(req);
      send(res, errorResponse(wireErrors.noRoute(method, url.pathname)));
      return;
    }

    const body = await readBody(req, options.maxBodyBytes);
    if (body === 'too-large') {
      send(res, errorResponse(wireErrors.bodyTooLarge(options.maxBodyBytes)), true);
      return;
    }
    const handler = await load();
    const result = await handler(toApiGatewayEvent(req, url, body, routeKey), lambdaContext(entry));
    send(res, result);
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function drain(req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    req.resume();
    req.on('end', resolve);
    req.on('error', () => resolve());
  });
}

function send(res: ServerResponse, result: APIGatewayProxyStructuredResultV2, close = false): void {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = String(v);
  if (close) headers.connection = 'close';
  res.writeHead(result.statusCode ?? 200, headers);
  res.end(result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? ''));
}

/** The event API Gateway (HTTP API, payload format 2.0) hands the route's Lambda. */
export function toApiGatewayEvent(req: IncomingMessage, url: URL, body: Buffer, routeKey: string): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const now = Date.now();
  const proxy = url.pathname.startsWith('/rest/') ? { proxy: url.pathname.slice('/rest/'.length) } : undefined;
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.startsWith('?') ? url.search.slice(1) : '',
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(proxy ? { pathParameters: proxy } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: (headers.host ?? '127').split('.')[0]!,
      http: {
        method: (req.method ?? 'GET').toUpperCase(),
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    ...(body.length > 0 ? { body: body.toString('base64'), isBase64Encoded: true } : { isBase64Encoded: false }),
  };
}

/** The Lambda context a local invocation gets. */
export function lambdaContext(entry: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `local-${entry}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:local-${entry}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/local-${entry}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
