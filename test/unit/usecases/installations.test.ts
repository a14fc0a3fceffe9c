import { hashSecret } from '../../../lambdas/domain/credentials';
import { authenticate } from '../../../lambdas/usecases/authenticate';
import { bind } from '../../../lambdas/usecases/bindings';
import { install, listInstallations, uninstall } from '../../../lambdas/usecases/installations';
import { publish } from '../../../lambdas/usecases/publish';
import { installationDeps, installApp, PUBLIC_URL } from '../../support/memory/apps';
import { memoryPorts } from '../../support/memory';

/** The operator's install / uninstall (docs/rest-api.md) on in-memory ports. */

const MEMBER = 'a'.repeat(32);
const seconds = (ms: number) => Math.floor(ms / 1000);

describe('install', () => {
  it('creates the portal, the application (secret stored hashed) and the installation, and issues working credentials', async () => {
    // Arrange
    const ports = memoryPorts();

    // Act
    const out = await install(installationDeps(ports), { memberId: MEMBER, domain: 'p.example.com', clientId: 'app.one', userId: 3, admin: true }, ports.clock.current);

    // Assert
    expect(out).toMatchObject({ member_id: MEMBER, domain: 'p.example.com', client_id: 'app.one', status: 'L', scope: 'crm,task,user', user_id: 3, admin: true, expires_in: 3600, client_endpoint: `${PUBLIC_URL}/rest/` });
    expect(await ports.registry.getPortal(MEMBER)).toEqual({ memberId: MEMBER, domain: 'p.example.com' });
    expect(await ports.registry.getClientSecretHash('app.one')).toBe(hashSecret(out.client_secret as string));
    const caller = await authenticate(ports.registry, { type: 'token', token: out.access_token as string }, seconds(ports.clock.current));
    expect(caller).toMatchObject({ memberId: MEMBER, clientId: 'app.one', userId: 3, admin: true, credentialKind: 'access' });
    const secret = new URL(out.webhook_url as string).pathname.split('/')[3];
    await expect(authenticate(ports.registry, { type: 'webhook', userId: 3, secret: secret! }, seconds(ports.clock.current))).resolves.toMatchObject({ credentialKind: 'webhook' });
    expect(await ports.registry.getCredential(hashSecret(out.refresh_token as string))).toMatchObject({ kind: 'refresh', expiresAt: seconds(ports.clock.current) + 28 * 24 * 3600 });
  });

  it('installing again keeps the application token, generation and installer; replaces the user’s webhook secret; prints no secret', async () => {
    const ports = memoryPorts();
    const deps = installationDeps(ports);
    const first = await install(deps, { memberId: MEMBER, domain: 'p.example.com', clientId: 'app.one', userId: 1, admin: true }, ports.clock.current);
    const before = await ports.registry.getInstallation(MEMBER, 'app.one');

    const again = await install(deps, { memberId: MEMBER, domain: 'p.example.com', clientId: 'app.one', userId: 1, admin: false }, ports.clock.advance(1000));
    const other = await install(deps, { memberId: MEMBER, domain: 'p.example.com', clientId: 'app.one', userId: 2, admin: true }, ports.clock.advance(1000));

    const after = await ports.registry.getInstallation(MEMBER, 'app.one');
    expect(after).toMatchObject({ applicationToken: before!.applicationToken, generation: before!.generation, installerUserId: 1, admins: [2], installedAt: before!.installedAt });
    expect([again.client_secret, other.client_secret]).toEqual([null, null]);
    const secretOf = (out: Record<string, unknown>) => new URL(out.webhook_url as string).pathname.split('/')[3]!;
    await expect(authenticate(ports.registry, { type: 'webhook', userId: 1, secret: secretOf(first) }, seconds(ports.clock.current))).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    await expect(authenticate(ports.registry, { type: 'webhook', userId: 1, secret: secretOf(again) }, seconds(ports.clock.current))).resolves.toMatchObject({ admin: false });
  });

  it('checks a given client secret against the application’s, and sets it for a new application', async () => {
    const ports = memoryPorts();
    const deps = installationDeps(ports);
    const out = await install(deps, { memberId: MEMBER, domain: 'p.example.com', clientId: 'app.one', userId: 1, admin: true, clientSecret: 'given-secret' }, ports.clock.current);
    expect(out.client_secret).toBe('given-secret');

    await expect(install(deps, { memberId: MEMBER, domain: 'p.example.com', clientId: 'app.one', userId: 1, admin: true, clientSecret: 'wrong' }, ports.clock.current)).rejects.toMatchObject({ code: 'ERROR_ARGUMENT' });
    await expect(install(deps, { memberId: MEMBER, domain: 'p.example.com', clientId: 'app.one', userId: 1, admin: true, clientSecret: 'given-secret' }, ports.clock.current)).resolves.toMatchObject({ client_secret: 'given-secret' });
  });

  it('refuses webhook.* client ids and a bad install handler URL, writing nothing for the latter', async () => {
    const ports = memoryPorts();
    const deps = installationDeps(ports);
    await expect(install(deps, { memberId: MEMBER, domain: 'p.example.com', clientId: 'webhook.x', userId: 1, admin: true }, ports.clock.current)).rejects.toMatchObject({ code: 'ERROR_ARGUMENT' });
    await expect(install(deps, { memberId: 'b'.repeat(32), domain: 'p.example.com', clientId: 'app.one', userId: 1, admin: true, installHandler: 'ftp://x.example.com/' }, ports.clock.current)).rejects.toMatchObject({ code: 'ERROR_UNSUPPORTED_PROTOCOL' });
    expect(await ports.registry.getPortal('b'.repeat(32))).toBeUndefined();
    expect(await ports.registry.getInstallation(MEMBER, 'webhook.x')).toBeUndefined();
  });

  it('queues ONAPPINSTALL to the install handler, or says why it could not', async () => {
    const ports = memoryPorts();
    const request = { memberId: MEMBER, domain: 'p.example.com', clientId: 'app.one', userId: 4, admin: true, installHandler: 'https://app.example.com/install' };

    const sent = await install(installationDeps(ports), request, ports.clock.current);
    const unreachable = await install(installationDeps(ports, false), request, ports.clock.current);

    expect(sent).toMatchObject({ install_handler: 'https://app.example.com/install', install_event: 'queued' });
    expect(unreachable.install_event).toMatch(/^not sent/);
    expect(ports.deliveries.messages).toEqual([
      expect.objectContaining({ event: 'ONAPPINSTALL', handler: 'https://app.example.com/install', userId: 4, bindingId: 0, data: { VERSION: '1', ACTIVE: 'Y', INSTALLED: 'Y', LANGUAGE_ID: 'en' }, attempt: 1 }),
    ]);
  });
});

describe('uninstall', () => {
  it('removes the installation, its bindings, every journal queue and every credential, and announces ONAPPUNINSTALL', async () => {
    // Arrange: an application with online and offline bindings on two connectors, and records in both queues.
    const ports = memoryPorts();
    const app = await installApp(ports);
    await bind(ports, app.caller, { event: 'ONAPPUNINSTALL', handler: 'https://app.example.com/bye', eventType: 'online', connector: '' }, ports.clock.current);
    await bind(ports, app.caller, { event: 'ONCRMDEALADD', eventType: 'offline', connector: '' }, ports.clock.current);
    await bind(ports, app.caller, { event: 'ONCRMDEALADD', eventType: 'offline', connector: 'sync' }, ports.clock.current);
    await publish(ports, { memberId: app.memberId, events: [{ event: 'ONCRMDEALADD', data: { ID: 1 } }, { event: 'ONCRMDEALADD', data: { ID: 2 } }] }, ports.clock.current);
    const other = await installApp(ports, { memberId: app.memberId });
    ports.deliveries.drain();

    // Act
    const out = await uninstall(installationDeps(ports), app.memberId, app.clientId, ports.clock.current);

    // Assert
    expect(out).toEqual({ bindings_removed: 3, records_removed: 4, credentials_removed: 3, uninstall_event: 'queued' });
    expect(await ports.registry.getInstallation(app.memberId, app.clientId)).toBeUndefined();
    expect(await ports.bindings.listByApplication(app.memberId, app.clientId)).toEqual([]);
    for (const connector of ['', 'sync']) expect(await ports.journal.readAll({ memberId: app.memberId, clientId: app.clientId, connector }, ports.clock.current)).toEqual([]);
    await expect(authenticate(ports.registry, { type: 'token', token: app.accessToken }, seconds(ports.clock.current))).rejects.toMatchObject({ code: 'invalid_token' });
    await expect(authenticate(ports.registry, { type: 'token', token: other.accessToken }, seconds(ports.clock.current))).resolves.toMatchObject({ clientId: other.clientId });
    const installation = app.caller.installation;
    expect(ports.deliveries.messages).toEqual([
      expect.objectContaining({
        event: 'ONAPPUNINSTALL',
        handler: 'https://app.example.com/bye',
        userId: 0,
        data: { LANGUAGE_ID: 'en', CLEAN: 1 },
        uninstalled: { domain: installation.domain, applicationToken: installation.applicationToken, status: 'L', signingSecret: installation.signingSecret },
      }),
    ]);
  });

  it('a fresh install after an uninstall gets a new generation: old credentials stay dead', async () => {
    const ports = memoryPorts();
    const app = await installApp(ports);
    await uninstall(installationDeps(ports), app.memberId, app.clientId, ports.clock.current);
    // Put back the old access token as if its deletion had been missed: the generation still refuses it.
    await ports.registry.putCredential(hashSecret(app.accessToken), { kind: 'access', memberId: app.memberId, clientId: app.clientId, userId: 1, admin: true, generation: app.caller.installation.generation, expiresAt: seconds(ports.clock.current) + 3600 });

    const again = await installApp(ports, { memberId: app.memberId, clientId: app.clientId });

    expect(again.caller.installation.generation).not.toBe(app.caller.installation.generation);
    await expect(authenticate(ports.registry, { type: 'token', token: app.accessToken }, seconds(ports.clock.current))).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('refuses an application that is not installed, and says when nobody is told', async () => {
    const ports = memoryPorts();
    const app = await installApp(ports);

    await expect(uninstall(installationDeps(ports), app.memberId, 'app.other', ports.clock.current)).rejects.toMatchObject({ code: 'ERROR_ARGUMENT' });
    expect(await uninstall(installationDeps(ports), app.memberId, app.clientId, ports.clock.current)).toMatchObject({ uninstall_event: 'no ONAPPUNINSTALL handler' });
  });

  it('lists installations per portal with their users and connectors', async () => {
    const ports = memoryPorts();
    const app = await installApp(ports, { clientId: 'app.b' });
    await installApp(ports, { memberId: app.memberId, clientId: 'app.a', userId: 7 });
    await bind(ports, app.caller, { event: 'ONCRMDEALADD', eventType: 'offline', connector: 'sync' }, ports.clock.current);

    const listed = await listInstallations(ports, app.memberId);

    expect(listed.map((i) => [i.client_id, i.users, i.connectors])).toEqual([
      ['app.a', [7], []],
      ['app.b', [1], ['sync']],
    ]);
  });
});
