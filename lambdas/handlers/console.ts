import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { bindingStore, deadLetterQueue, deliveryLog, deliveryQueue, journalStore, registryStore } from '../composition';
import { config, type Config } from '../config';
import { CLIENT_ID, MEMBER_ID } from '../domain/credentials';
import { BitrixError, errors } from '../domain/errors';
import {
  deadLetters,
  listBindingViews,
  listDeliveryAttempts,
  listQueueViews,
  openLink,
  overview,
  redriveDeadLetters,
  sessionScope,
  signIn,
  signOut,
  visibleInstallations,
  type ConsoleDeps,
  type ConsoleScope,
} from '../usecases/console';
import type { Caller } from '../domain/model';
import { enableHandler, listDeliveries, resendDeliveries } from '../usecases/delivery-history';
import { logger } from '../wire/logger';
import { wireAttempt } from '../wire/shapes';
import { errorResponse, toBitrixError, WireError } from '../wire/response';

/**
 * `/console/…` (docs/console.md): the web console's static files and its API. Locally the
 * router (local/server.ts) calls this; on AWS a route of the same HTTP API invokes it.
 */
export const SESSION_COOKIE = 'b24hub_console';

const STATIC: Record<string, { file: string; type: string }> = {
  '': { file: 'index.html', type: 'text/html; charset=utf-8' },
  'app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  'style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

/** Library files served from the npm packages (MIT), by the name the console imports them under. */
const VENDOR: Record<string, { path: string; type: string }> = {
  'preact.js': { path: 'preact/dist/preact.mjs', type: 'text/javascript; charset=utf-8' },
  'hooks.js': { path: 'preact/hooks/dist/hooks.mjs', type: 'text/javascript; charset=utf-8' },
  'uplot.js': { path: 'uplot/dist/uPlot.esm.js', type: 'text/javascript; charset=utf-8' },
  'uplot.css': { path: 'uplot/dist/uPlot.min.css', type: 'text/css; charset=utf-8' },
};

/** Where the files are: next to the bundle on AWS (lib/console.ts copies them), in the repository locally. */
function readAsset(kind: 'static' | 'vendor', path: string): Buffer | undefined {
  const candidates =
    kind === 'static'
      ? [join(__dirname, 'console', path), join(__dirname, '..', '..', 'console', path)]
      : [join(__dirname, 'console', 'vendor', path.split('/').pop()!), join(__dirname, '..', '..', 'node_modules', path)];
  const found = candidates.find((c) => existsSync(c));
  return found ? readFileSync(found) : undefined;
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
};

function json(status: number, body: unknown, extra: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return { statusCode: status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...SECURITY_HEADERS, ...extra }, body: JSON.stringify(body) };
}

function cookieOf(event: APIGatewayProxyEventV2): string | undefined {
  const all = [...(event.cookies ?? []), ...(event.headers?.cookie ?? '').split(';')];
  for (const c of all) {
    const [name, ...rest] = c.trim().split('=');
    if (name === SESSION_COOKIE) return rest.join('=');
  }
  return undefined;
}

function sessionCookie(cfg: Config, token: string, maxAge: number): string {
  const secure = cfg.PUBLIC_URL.startsWith('https:') ? '; Secure' : '';
  return `${SESSION_COOKIE}=${token}; Path=/console; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure}`;
}

const crossSite = () => new WireError(403, 'ACCESS_DENIED', 'Cross-site request refused: state-changing console requests must come from the console itself');
const unauthorized = () => new WireError(401, 'NO_AUTH_FOUND', 'Sign in to the console first (or the session expired)');

/** State-changing requests: same-origin only (Fetch Metadata, Origin = Host) and JSON bodies (forms cannot send them cross-site). */
function checkSameOrigin(event: APIGatewayProxyEventV2): void {
  const h = event.headers ?? {};
  const site = h['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') throw crossSite();
  const origin = h.origin;
  if (!origin) throw crossSite();
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    throw crossSite();
  }
  if (host !== (h.host ?? event.requestContext.domainName)) throw crossSite();
  if (!(h['content-type'] ?? '').toLowerCase().startsWith('application/json')) throw crossSite();
}

function bodyOf(event: APIGatewayProxyEventV2): Record<string, unknown> {
  const raw = event.body ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) : '';
  if (raw.length > 64 * 1024) throw new WireError(413, 'ERROR_ARGUMENT', 'Request body is too large');
  try {
    const parsed: unknown = raw === '' ? {} : JSON.parse(raw);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw errors.badRequest('The body must be a JSON object');
}

function param(event: APIGatewayProxyEventV2, name: string, pattern: RegExp, what: string): string | undefined {
  const value = event.queryStringParameters?.[name];
  if (value === undefined || value === '') return undefined;
  if (!pattern.test(value)) throw errors.argument(name.toUpperCase(), `${name} must be ${what}`);
  return value;
}


function deps(cfg: Config): ConsoleDeps {
  return { registry: registryStore(cfg), bindings: bindingStore(cfg), journal: journalStore(cfg), deliveryLog: deliveryLog(cfg) };
}

async function route(event: APIGatewayProxyEventV2, cfg: Config, now: number): Promise<APIGatewayProxyStructuredResultV2> {
  const method = event.requestContext.http.method.toUpperCase();
  const path = event.rawPath.replace(/^\/console\/?/, '');

  if (method === 'GET' && (path in STATIC || path.startsWith('vendor/'))) {
    const entry = path.startsWith('vendor/') ? VENDOR[path.slice('vendor/'.length)] : undefined;
    const file = entry ? readAsset('vendor', entry.path) : path in STATIC ? readAsset('static', STATIC[path]!.file) : undefined;
    if (!file) throw new WireError(404, 'NOT_FOUND', `No console file ${path}`);
    // The hooks module imports the bare name "preact"; the page has no import map (the CSP allows no inline script).
    const body = path === 'vendor/hooks.js' ? Buffer.from(file.toString('utf8').replaceAll('from"preact"', 'from"./preact.js"')) : file;
    return {
      statusCode: 200,
      headers: { 'content-type': entry?.type ?? STATIC[path]!.type, 'cache-control': 'no-cache', ...SECURITY_HEADERS },
      body: body.toString('base64'),
      isBase64Encoded: true,
    };
  }

  const registry = registryStore(cfg);
  if (path === 'link' && method === 'GET') {
    // The application link: exchanged for a session cookie, then the token leaves the address bar.
    const token = event.queryStringParameters?.token ?? '';
    const session = await openLink(registry, token, cfg.CONSOLE_SESSION_SECONDS, now);
    return { statusCode: 303, headers: { location: '/console/', 'cache-control': 'no-store', ...SECURITY_HEADERS, 'set-cookie': sessionCookie(cfg, session.token, session.expiresAt - Math.floor(now / 1000)) }, body: '' };
  }
  if (path === 'api/session' && method === 'POST') {
    checkSameOrigin(event);
    const credential = bodyOf(event).credential;
    if (typeof credential !== 'string' || credential === '') throw errors.argumentEmpty('credential');
    const session = await signIn(registry, credential, cfg.CONSOLE_SESSION_SECONDS, now);
    return json(200, { result: { role: 'operator', expires_at: session.expiresAt } }, { 'set-cookie': sessionCookie(cfg, session.token, cfg.CONSOLE_SESSION_SECONDS) });
  }
  if (path === 'api/session' && method === 'DELETE') {
    checkSameOrigin(event);
    const token = cookieOf(event);
    if (token) await signOut(registry, token);
    return json(200, { result: true }, { 'set-cookie': sessionCookie(cfg, '', 0) });
  }

  if (!path.startsWith('api/')) throw new WireError(404, 'NOT_FOUND', `No console page ${path}`);
  const scope = await sessionScope(registry, cookieOf(event), now);
  if (!scope) throw unauthorized();
  if (method !== 'GET') {
    checkSameOrigin(event);
    if (method === 'POST' && path === 'api/dlq/redrive') return json(200, { result: await redrive(bodyOf(event), scope, cfg) });
    if (method === 'POST' && (path === 'api/resend' || path === 'api/enable')) return json(200, { result: await act(path.slice('api/'.length), bodyOf(event), scope, cfg, now) });
    throw new WireError(404, 'NOT_FOUND', `No console endpoint ${method} /console/${path}`);
  }
  return json(200, { result: await read(path.slice('api/'.length), event, scope, cfg, now) });
}

async function read(name: string, event: APIGatewayProxyEventV2, scope: ConsoleScope, cfg: Config, now: number): Promise<unknown> {
  const memberId = param(event, 'member_id', MEMBER_ID, '32 lower-case hex characters');
  const clientId = param(event, 'client_id', CLIENT_ID, 'an application client id');
  const d = deps(cfg);
  const installations = () => visibleInstallations(d.registry, scope, memberId, clientId);
  switch (name) {
    case 'me':
      return scope;
    case 'overview':
      return overview(d, await installations(), now, 1000);
    case 'installations':
      return (await installations()).map((i) => ({
        member_id: i.memberId,
        client_id: i.clientId,
        domain: i.domain,
        kind: i.kind ?? 'application',
        status: i.status,
        connectors: i.connectors,
        installed_at: i.installedAt,
      }));
    case 'bindings':
      return listBindingViews(d, await installations());
    case 'queues':
      return listQueueViews(d.journal, await installations());
    case 'deliveries': {
      // One application's history, through event.delivery.list's use case, as its administrator would see it.
      const caller = await callerOf(d, scope, memberId, clientId);
      const filter = historyFilter(event.queryStringParameters ?? {});
      const startRaw = param(event, 'start', /^[0-9]{1,5}$/, 'an offset from 0 to 10000');
      const page = await listDeliveries({ log: d.deliveryLog, bindings: d.bindings }, caller, { filter, start: startRaw === undefined ? 0 : Number(startRaw) });
      return { items: page.attempts.map((a) => ({ ...wireAttempt(a), PAYLOAD: a.data ?? null })), total: page.total ?? 0, next: page.next ?? null };
    }
    case 'dlq': {
      const { depth, messages } = await deadLetters(deadLetterQueue(cfg), scope);
      return {
        depth,
        messages: messages.map((p) => ({
          message_id: p.messageId,
          delivery_id: p.message?.deliveryId ?? null,
          event: p.message?.event ?? null,
          handler: p.message?.handler ?? null,
          member_id: p.message?.memberId ?? null,
          client_id: p.message?.clientId ?? null,
          attempts: p.message?.attempt ?? null,
          reason: p.reason ?? null,
          receive_count: p.receiveCount,
          sent_at: new Date(p.sentAt).toISOString(),
          body: p.message ? null : p.body.slice(0, 2000),
        })),
      };
    }
    case 'recent':
      return listDeliveryAttempts(d.deliveryLog, await installations(), { limit: 50 });
    default:
      throw new WireError(404, 'NOT_FOUND', `No console endpoint GET /console/api/${name}`);
  }
}

/** The filter of event.delivery.list from the page's query (status, event, from/to as ISO dates). */
function historyFilter(q: Record<string, string | undefined>): Record<string, string> {
  const filter: Record<string, string> = {};
  if (q.status) filter.STATUS = q.status;
  if (q.event) filter.EVENT_NAME = q.event;
  if (q.from) filter['>=DATE_CREATE'] = q.from;
  if (q.to) filter['<DATE_CREATE'] = q.to;
  return filter;
}

/** The application the request names (an operator's choice; an application link's own), as its administrator. */
async function callerOf(d: ConsoleDeps, scope: ConsoleScope, memberId: string | undefined, clientId: string | undefined): Promise<Caller> {
  if (scope.role === 'operator' && (!memberId || !clientId)) throw errors.argumentEmpty(memberId ? 'client_id' : 'member_id');
  const [installation] = await visibleInstallations(d.registry, scope, memberId, clientId);
  if (!installation) throw errors.argument('CLIENT_ID', 'No such application on this portal');
  return { memberId: installation.memberId, clientId: installation.clientId, userId: installation.installerUserId, admin: true, installation, credentialKind: 'access' };
}

function bodyId(body: Record<string, unknown>, name: string, pattern: RegExp): string | undefined {
  const value = body[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !pattern.test(value)) throw errors.argument(name.toUpperCase(), `${name} has a wrong format`);
  return value;
}

/** Resend (by ids or the page's filter) and re-enable, through event.delivery.resend / .enable's use cases. */
async function act(name: string, body: Record<string, unknown>, scope: ConsoleScope, cfg: Config, now: number): Promise<unknown> {
  const d = deps(cfg);
  const caller = await callerOf(d, scope, bodyId(body, 'member_id', MEMBER_ID), bodyId(body, 'client_id', CLIENT_ID));
  if (name === 'enable') {
    if (typeof body.handler !== 'string') throw errors.argumentEmpty('handler');
    return { switched_on: await enableHandler({ log: d.deliveryLog, bindings: d.bindings }, caller, body.handler, now) };
  }
  const ids = body.ids;
  if (ids !== undefined && (!Array.isArray(ids) || !ids.every((i) => typeof i === 'string'))) throw errors.argument('IDS', 'ids must be a list of delivery ids');
  const filter = body.filter;
  if (filter !== undefined && (typeof filter !== 'object' || filter === null || Array.isArray(filter))) throw errors.argument('FILTER', 'filter must be an object');
  const resendDeps = { log: d.deliveryLog, bindings: d.bindings, queue: deliveryQueue(cfg), retentionMs: cfg.ATTEMPT_RETENTION_DAYS * 86_400_000 };
  return resendDeliveries(resendDeps, caller, {
    ...(ids ? { ids: ids as string[] } : {}),
    ...(filter ? { filter: historyFilter(filter as Record<string, string | undefined>) } : {}),
  }, now);
}

/** Redrive from the dead-letter page: `ids` (message ids) or all of it. Operator only. */
async function redrive(body: Record<string, unknown>, scope: ConsoleScope, cfg: Config): Promise<unknown> {
  const ids = body.ids;
  if (ids !== undefined && (!Array.isArray(ids) || ids.length > 100 || !ids.every((i) => typeof i === 'string' && i.length > 0 && i.length <= 200))) {
    throw errors.argument('IDS', 'ids must be a list of at most 100 message ids');
  }
  return redriveDeadLetters(deadLetterQueue(cfg), scope, ids as string[] | undefined);
}

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  try {
    return await route(event, config(), Date.now());
  } catch (error) {
    const { error: mapped, unexpected } = toBitrixError(error);
    if (unexpected) logger.error('console request failed', { error });
    const response = errorResponse(mapped instanceof BitrixError ? mapped : errors.internal());
    return { ...response, headers: { ...response.headers, 'cache-control': 'no-store', ...SECURITY_HEADERS } };
  }
}
