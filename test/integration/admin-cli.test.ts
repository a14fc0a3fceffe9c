import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hashSecret } from '../../lambdas/domain/credentials';
import { authenticate } from '../../lambdas/usecases/authenticate';
import { bind } from '../../lambdas/usecases/bindings';
import { publish } from '../../lambdas/usecases/publish';
import { uninstall } from '../../lambdas/usecases/installations';
import { RecordingDeliveryQueue } from '../support/recording-delivery-queue';
import { wiring } from '../support/wiring';
import { installUser, newClientId, newMemberId } from '../support/fixtures';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

describe('admin CLI against deployed tables', () => {
  jest.setTimeout(60_000);

  it('installs, lists and uninstalls with table names from flags, the way it reaches a deployed stack', async () => {
    const cfg = wiring().config;
    // The stack's outputs name the tables; the SDK's standard endpoint variable stands in for AWS.
    const env = {
      ...process.env,
      NODE_NO_WARNINGS: '1',
      AWS_ENDPOINT_URL_DYNAMODB: cfg.DYNAMODB_ENDPOINT!,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      DYNAMODB_ENDPOINT: '',
      TABLE_REGISTRY: '',
      DATA_DIR: '/nonexistent-never-used',
    };
    const flags = ['--registry-table', cfg.TABLE_REGISTRY, '--bindings-table', cfg.TABLE_BINDINGS, '--journal-table', cfg.TABLE_JOURNAL, '--region', 'eu-central-1', '--public-url', 'https://abc123.execute-api.eu-central-1.amazonaws.com'];
    const memberId = newMemberId();
    const clientId = newClientId();
    // The command `npm run admin` runs, without npm's own start-up per call (test/http/local-runtime.test.ts runs it through npm).
    const admin = async (args: string[]) => JSON.parse((await run(join(ROOT, 'node_modules', '.bin', 'tsx'), ['bin/admin.ts', ...args, ...flags], { cwd: ROOT, env })).stdout) as Record<string, unknown>;

    const installed = await admin(['install', '--member-id', memberId, '--domain', 'd.example.com', '--client-id', clientId, '--user-id', '1', '--admin', '--handler-host', 'hooks.example.com']);
    expect(installed).toMatchObject({
      member_id: memberId,
      client_id: clientId,
      client_endpoint: 'https://abc123.execute-api.eu-central-1.amazonaws.com/rest/',
      webhook_url: expect.stringMatching(/^https:\/\/abc123\.execute-api\.eu-central-1\.amazonaws\.com\/rest\/1\/[0-9a-f]{32}\/$/),
    });
    // The credential it printed works against the same tables.
    const caller = await authenticate(wiring().registry, { type: 'token', token: installed.access_token as string }, Math.floor(Date.now() / 1000));
    expect(caller).toMatchObject({ memberId, clientId, userId: 1, admin: true });
    expect(caller.installation.handlerHosts).toEqual(['hooks.example.com']);

    expect(await admin(['list', '--member-id', memberId])).toEqual([expect.objectContaining({ client_id: clientId })]);
    expect(await admin(['uninstall', '--member-id', memberId, '--client-id', clientId])).toMatchObject({ credentials_removed: 3 }); // access token, refresh token, webhook secret
    expect(await wiring().registry.getInstallation(memberId, clientId)).toBeUndefined();
  });
});

describe('uninstall', () => {
  it('leaves nothing of the application behind and its credentials stop working at once', async () => {
    const app = await installUser();
    const second = await installUser({ memberId: app.memberId, clientId: app.clientId, userId: 2, admin: false });
    const w = wiring();
    const now = () => Math.floor(Date.now() / 1000);
    const caller = await authenticate(w.registry, { type: 'token', token: app.accessToken }, now());
    await bind(w, caller, { event: 'ONCRMDEALADD', eventType: 'offline', connector: '' }, Date.now());
    await bind(w, caller, { event: 'ONCRMDEALADD', eventType: 'offline', connector: 'sync' }, Date.now());
    await bind(w, caller, { event: 'ONCRMDEALADD', handler: 'https://hooks.example.com/h', eventType: 'online', connector: '' }, Date.now());
    await publish({ ...w, deliveries: new RecordingDeliveryQueue() }, { memberId: app.memberId, events: [{ event: 'ONCRMDEALADD', data: { FIELDS: { ID: 1 } } }] }, Date.now());

    const removed = await uninstall(
      { registry: w.registry, bindings: w.bindings, journal: w.journal, publicUrl: 'http://x', accessTokenTtl: 3600, refreshTokenTtl: 3600 },
      app.memberId,
      app.clientId,
    );
    expect(removed).toEqual({ bindings_removed: 3, records_removed: 2, credentials_removed: 6, uninstall_event: 'no ONAPPUNINSTALL handler' });
    expect(await w.bindings.listByApplication(app.memberId, app.clientId)).toEqual([]);
    for (const connector of ['', 'sync']) expect(await w.journal.readAll({ memberId: app.memberId, clientId: app.clientId, connector }, Date.now())).toEqual([]);
    const secret = second.webhookUrl.split('/').at(-2)!;
    expect(await w.registry.getCredential(hashSecret(secret))).toBeUndefined();
    await expect(authenticate(w.registry, { type: 'token', token: app.accessToken }, now())).rejects.toMatchObject({ code: 'invalid_token' });

    // A fresh install of the same application does not revive the old tokens.
    await installUser({ memberId: app.memberId, clientId: app.clientId });
    await expect(authenticate(w.registry, { type: 'token', token: app.accessToken }, now())).rejects.toMatchObject({ code: 'invalid_token' });
  });
});

describe('install on a known portal', () => {
  it('refuses another domain, naming the stored one and --change-domain, and moves the portal only when asked', async () => {
    const app = await installUser({ domain: 'first.example.com' });
    await expect(installUser({ memberId: app.memberId, clientId: app.clientId, domain: 'typo.example.com' })).rejects.toMatchObject({
      code: 'ERROR_ARGUMENT',
      description: expect.stringMatching(/installed with domain first\.example\.com.*--domain first\.example\.com.*--change-domain/),
    });
    expect(await wiring().registry.getPortal(app.memberId)).toEqual({ memberId: app.memberId, domain: 'first.example.com' });

    await installUser({ memberId: app.memberId, clientId: app.clientId, domain: 'second.example.com', changeDomain: true });
    expect(await wiring().registry.getPortal(app.memberId)).toEqual({ memberId: app.memberId, domain: 'second.example.com' });
    // The same domain again needs nothing more.
    await installUser({ memberId: app.memberId, clientId: app.clientId, domain: 'second.example.com' });
  });
});
