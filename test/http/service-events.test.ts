import qs from 'qs';
import { Webhook } from 'standardwebhooks';
import { hashSecret } from '../../lambdas/domain/credentials';
import { install, uninstall, type InstallationDeps } from '../../lambdas/usecases/installations';
import { addWebhook, listWebhooks, removeWebhook } from '../../lambdas/usecases/webhooks';
import { wiring } from '../support/wiring';
import { startDeliveryHarness, type DeliveryHarness } from '../support/delivery-harness';
import { installUser, newClientId, newMemberId, postForm, publishEvents } from '../support/fixtures';
import { startSink, type Received } from '../support/sink';

/**
 * Events the service raises itself (docs/delivery.md, "Application lifecycle"; Bitrix24's ONAPPINSTALL and ONAPPTEST documentation) and outgoing webhooks, end to
 * end: use case → SQS → worker → a real HTTP handler. Asserts the exact `auth` keys.
 */
let harness: DeliveryHarness;
beforeAll(async () => {
  harness = await startDeliveryHarness();
});
afterAll(() => harness.close());

const parse = (r: Received) => qs.parse(r.body) as { event: string; event_handler_id: string; data: Record<string, string>; ts: string; auth: Record<string, string> };
const signed = (r: Received) => Object.fromEntries(['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => [h, String(r.headers[h])]));
const BASE_AUTH = ['application_token', 'client_endpoint', 'domain', 'member_id', 'server_endpoint'];

function installDeps(): InstallationDeps {
  const w = wiring();
  return { registry: w.registry, bindings: w.bindings, journal: w.journal, publicUrl: w.config.PUBLIC_URL, accessTokenTtl: 3600, refreshTokenTtl: 86400, deliveries: w.deliveries };
}

describe('outgoing webhooks', () => {
  jest.setTimeout(30_000);

  it('delivers the portal’s events to a subscribed URL with only the portal and its token in auth, signed', async () => {
    const sink = await startSink();
    try {
      const app = await installUser(); // the portal exists once an application is installed
      const w = wiring();
      const hook = await addWebhook({ registry: w.registry, bindings: w.bindings, catalog: w.catalog }, { memberId: app.memberId, events: ['onCrmDealAdd', 'ONCRMDEALUPDATE'], handler: `${sink.url}/hook` }, Date.now());
      expect(hook).toMatchObject({ events: ['ONCRMDEALADD', 'ONCRMDEALUPDATE'], webhook_id: expect.stringMatching(/^webhook\.[0-9a-f]{12}$/), application_token: expect.stringMatching(/^[0-9a-f]{32}$/) });

      await publishEvents(harness.server.url, app.memberId, [{ event: 'ONCRMDEALADD', data: { FIELDS: { ID: 11 } }, user_id: 1 }]);
      const [got] = await sink.waitFor(1);
      const body = parse(got!);
      expect(Object.keys(body).sort()).toEqual(['auth', 'data', 'event', 'event_handler_id', 'ts']);
      expect(Object.keys(body.auth).sort()).toEqual(BASE_AUTH);
      expect(body.auth.application_token).toBe(hook.application_token);
      expect(body.data).toEqual({ FIELDS: { ID: '11' } });
      expect(() => new Webhook(hook.webhook_signing_secret as string).verify(got!.body, signed(got!))).toThrow(SyntaxError); // signature fine; the library then parses JSON

      expect((await listWebhooks(w, app.memberId)).map((h) => h.webhook_id)).toEqual([hook.webhook_id]);
      // Not an application: it is not listed as one and cannot be uninstalled as one.
      await expect(uninstall(installDeps(), app.memberId, hook.webhook_id as string)).rejects.toThrow(/not installed/);
      expect(await removeWebhook(w, app.memberId, hook.webhook_id as string)).toEqual({ bindings_removed: 2 });
      await publishEvents(harness.server.url, app.memberId, [{ event: 'ONCRMDEALADD', data: { FIELDS: { ID: 12 } } }]);
      await new Promise((r) => setTimeout(r, 1000));
      expect(sink.received).toHaveLength(1);
    } finally {
      await sink.close();
    }
  });

  it('refuses an unknown portal, an event outside the catalog and a handler that is not a public URL', async () => {
    const w = wiring();
    const deps = { registry: w.registry, bindings: w.bindings, catalog: w.catalog };
    const app = await installUser();
    await expect(addWebhook(deps, { memberId: newMemberId(), events: ['ONCRMDEALADD'], handler: 'https://h.example.com/' }, Date.now())).rejects.toThrow(/Unknown portal/);
    await expect(addWebhook(deps, { memberId: app.memberId, events: ['ONNOTHING'], handler: 'https://h.example.com/' }, Date.now())).rejects.toThrow(/not in the event catalog/);
    await expect(addWebhook(deps, { memberId: app.memberId, events: ['ONCRMDEALADD'], handler: 'http://localhost/' }, Date.now())).rejects.toMatchObject({ code: 'ERROR_WRONG_HANDLER_URL' });
  });
});

describe('application lifecycle events', () => {
  jest.setTimeout(30_000);

  it('install sends ONAPPINSTALL to the install handler, with tokens and a refresh token', async () => {
    const sink = await startSink();
    try {
      const memberId = newMemberId();
      const out = await install(installDeps(), { memberId, domain: 'life.example.com', clientId: newClientId(), userId: 4, admin: true, installHandler: `${sink.url}/install` }, Date.now());
      expect(out).toMatchObject({ install_handler: `${sink.url}/install`, install_event: 'queued' });
      const [got] = await sink.waitFor(1);
      const body = parse(got!);
      // Key by key as api-reference/common/events/on-app-install.md shows.
      expect(body.data).toEqual({ VERSION: '1', ACTIVE: 'Y', INSTALLED: 'Y', LANGUAGE_ID: 'en' });
      expect(body.event).toBe('ONAPPINSTALL');
      expect(body.auth).toMatchObject({ user_id: '4', access_token: expect.any(String), refresh_token: expect.any(String), application_token: out.application_token, status: 'L' });
      // The token works against the REST API.
      expect((await postForm(`${harness.server.url}/rest/event.get?auth=${body.auth.access_token}`, '')).status).toBe(200);
    } finally {
      await sink.close();
    }
  });

  it('refuses an install handler that is not a public URL before writing anything', async () => {
    const memberId = newMemberId();
    await expect(install(installDeps(), { memberId, domain: 'bad.example.com', clientId: newClientId(), userId: 1, admin: true, installHandler: 'http://localhost/install' }, Date.now())).rejects.toMatchObject({ code: 'ERROR_WRONG_HANDLER_URL' });
    expect(await wiring().registry.getPortal(memberId)).toBeUndefined();
  });

  it('uninstall sends ONAPPUNINSTALL without tokens, then leaves nothing of the application behind', async () => {
    const sink = await startSink();
    try {
      const app = await installUser();
      const w = wiring();
      await postForm(`${harness.server.url}/rest/event.bind?auth=${app.accessToken}`, `event=ONAPPUNINSTALL&handler=${encodeURIComponent(`${sink.url}/bye`)}`);
      await postForm(`${harness.server.url}/rest/event.bind?auth=${app.accessToken}`, 'event=ONCRMDEALADD&event_type=offline&auth_connector=sync');
      await publishEvents(harness.server.url, app.memberId, [{ event: 'ONCRMDEALADD', data: { FIELDS: { ID: 1 } } }]);
      const signingSecret = (await w.registry.getInstallation(app.memberId, app.clientId))!.signingSecret;

      const removed = await uninstall(installDeps(), app.memberId, app.clientId);
      expect(removed).toMatchObject({ bindings_removed: 2, records_removed: 1, credentials_removed: 3, uninstall_event: 'queued' });

      const [got] = await sink.waitFor(1);
      const body = parse(got!);
      expect(body.event).toBe('ONAPPUNINSTALL');
      expect(body.data).toEqual({ LANGUAGE_ID: 'en', CLEAN: '1' }); // on-app-uninstall.md
      expect(Object.keys(body.auth).sort()).toEqual([...BASE_AUTH, 'status'].sort());
      expect(body.auth.application_token).toBe(app.applicationToken);
      expect(() => new Webhook(signingSecret).verify(got!.body, signed(got!))).toThrow(SyntaxError); // signed with the application's secret

      // Nothing left: installation, bindings, credentials, journal.
      expect(await w.registry.getInstallation(app.memberId, app.clientId)).toBeUndefined();
      expect(await w.bindings.listByApplication(app.memberId, app.clientId)).toEqual([]);
      for (const secret of [app.accessToken, app.refreshToken]) expect(await w.registry.getCredential(hashSecret(secret))).toBeUndefined();
      expect(await w.registry.deleteCredentialsOf(app.memberId, app.clientId)).toBe(0);
      expect(await w.journal.readAll({ memberId: app.memberId, clientId: app.clientId, connector: 'sync' }, Date.now())).toEqual([]);
    } finally {
      await sink.close();
    }
  });
});
