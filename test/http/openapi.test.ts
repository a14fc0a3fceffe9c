import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import { restMethods } from '../../lambdas/method-list';
import { openApiDocument } from '../../lambdas/wire/openapi';
import { get, installUser, postForm, postJson, publishEvents, startTestServer, type Reply, type TestServer } from '../support/fixtures';

/**
 * The OpenAPI document cannot drift: it is generated from the handlers' zod schemas, the
 * checked-in openapi.json must equal what the code generates and be valid OpenAPI 3.1, the local
 * runtime serves it, it names exactly the routes the runtime serves, and real answers of every
 * method (and real errors) validate against the document's own JSON Schemas.
 */
const ROOT = join(__dirname, '..', '..');
type Doc = { paths: Record<string, unknown>; servers?: { url: string }[]; components: { schemas: Record<string, object> } };
const document = openApiDocument(restMethods()) as unknown as Doc;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const ajv = new Ajv2020({ strict: false, allErrors: true });
const validators = new Map<string, ValidateFunction>();
function conforms(component: string, value: unknown): void {
  let validate = validators.get(component);
  if (!validate) {
    const schema = document.components.schemas[component];
    if (!schema) throw new Error(`no component ${component}`);
    validate = ajv.compile(schema);
    validators.set(component, validate);
  }
  if (!validate(value)) throw new Error(`${component}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value)}`);
}
const component = (method: string, part: 'params' | 'response') => `${method.replace(/\./g, '_')}_${part}`;

describe('openapi.json', () => {
  it('is valid OpenAPI 3.1 and the checked-in file is what the zod schemas generate', async () => {
    // `npm run openapi -- --check` without npx's own start-up: the local tsx, as the script runs it.
    const { stdout } = await promisify(execFile)(join(ROOT, 'node_modules', '.bin', 'tsx'), ['bin/openapi.ts', '--check'], { cwd: ROOT });
    expect(stdout).toContain('valid OpenAPI 3.1 and up to date');
    expect(JSON.parse(readFileSync(join(ROOT, 'openapi.json'), 'utf8'))).toEqual(document);
  });

  it('is served by the local runtime with its base URL, and names exactly the routes the runtime serves', async () => {
    const served = await get(`${server.url}/openapi.json`);
    expect(served.status).toBe(200);
    const { servers, ...rest } = served.body as unknown as Doc;
    expect(rest).toEqual(document);
    expect(servers).toHaveLength(1);

    const methods = restMethods().map((m) => m.name).sort();
    const oauthPaths = Object.keys(document.paths).filter((p) => /^\/rest\/[^{]/.test(p)).map((p) => p.slice('/rest/'.length));
    const webhookPaths = Object.keys(document.paths).filter((p) => p.startsWith('/rest/{user_id}/{secret}/')).map((p) => p.slice('/rest/{user_id}/{secret}/'.length));
    expect(oauthPaths.sort()).toEqual(methods);
    expect(webhookPaths.sort()).toEqual(methods);
    expect(document.paths['/producer/events']).toBeDefined();
  });

  it('describes what every method really answers, errors included', async () => {
    const app = await installUser();
    const rest = (method: string) => `${server.url}/rest/${method}?auth=${app.accessToken}`;
    const call = async (method: string, params: Record<string, unknown>): Promise<Reply> => {
      conforms(component(method, 'params'), params);
      const reply = await postJson(rest(method), params);
      expect(reply.status).toBe(200);
      conforms(component(method, 'response'), reply.body);
      return reply;
    };

    await call('events', { scope: 'crm' });
    await call('event.bind', { event: 'ONCRMDEALUPDATE', event_type: 'offline' });
    await call('event.bind', { event: 'ONCRMDEALADD', handler: 'https://hooks.example.com/add', auth_type: 1, options: { format: 'json' } });
    await call('event.get', {});
    const published = await publishEvents(server.url, app.memberId, [1, 2, 3].map((id) => ({ event: 'ONCRMDEALUPDATE', data: { FIELDS: { ID: id } } })));
    conforms(component('producer.events', 'response'), published.body);
    const reserved = await call('event.offline.get', { clear: 0, limit: 2 });
    const { process_id: processId, events } = reserved.body.result as { process_id: string; events: { ID: string; MESSAGE_ID: string }[] };
    await call('event.offline.list', { start: 0 });
    await call('event.offline.list', { start: -1, filter: { PROCESS_ID: processId } });
    await call('event.offline.error', { process_id: processId, message_id: [events[0]!.MESSAGE_ID] });
    await call('event.offline.clear', { process_id: processId, id: [Number(events[1]!.ID)] });
    await call('event.offline.get', {});
    await call('event.test', { any: 'thing' });
    await call('batch', { halt: 0, cmd: { a: 'event.get', b: 'no.such.method', c: 'event.offline.list' } });
    await call('batch', { cmd: ['event.get'] });
    await call('event.unbind', { event: 'ONCRMDEALADD', handler: 'https://hooks.example.com/add' });

    const refused: Reply[] = [
      await postJson(rest('event.bind'), { event: 'ONNOSUCHEVENT', handler: 'https://hooks.example.com/x' }),
      await postJson(rest('event.offline.get'), { limit: 'many' }),
      await postJson(`${server.url}/rest/event.get?auth=${'0'.repeat(32)}`, {}),
      await postJson(rest('crm.deal.list'), {}),
      await postForm(rest('event.bind'), `event=${'x'.repeat(2 * 1024 * 1024)}`),
      await postJson(`${server.url}/producer/events`, { member_id: app.memberId, events: [] }),
    ];
    // The OAuth refresh (GET and POST) and the health route answer what the document says.
    const oauth = { grant_type: 'refresh_token', client_id: app.clientId, client_secret: app.clientSecret!, refresh_token: app.refreshToken };
    conforms('oauth_token_params', oauth);
    const refreshed = await get(`${server.url}/oauth/token/?${new URLSearchParams(oauth).toString()}`);
    expect(refreshed.status).toBe(200);
    conforms('oauth_token_response', refreshed.body);
    const again = await postForm(`${server.url}/oauth/token`, new URLSearchParams({ ...oauth, refresh_token: refreshed.body.refresh_token as string }).toString());
    expect(again.status).toBe(200);
    conforms('oauth_token_response', again.body);
    const health = await get(`${server.url}/health`);
    expect(health).toMatchObject({ status: 200, body: { status: 'ok' } });
    conforms('health_response', health.body);

    refused.push(await get(`${server.url}/oauth/token?${new URLSearchParams(oauth).toString()}`)); // used up
    expect(refused.map((r) => r.status)).toEqual([400, 400, 401, 404, 413, 401, 400]);
    for (const reply of refused) conforms('Error', reply.body);
  });
});
