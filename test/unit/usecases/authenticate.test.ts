import { authenticate, CredentialCache } from '../../../lambdas/usecases/authenticate';
import { uninstall } from '../../../lambdas/usecases/installations';
import { hashSecret } from '../../../lambdas/domain/credentials';
import { installationDeps, installApp } from '../../support/memory/apps';
import { memoryPorts, type MemoryPorts } from '../../support/memory';

/** Authentication through the container's credential cache (docs/rest-api.md): fewer reads, revocation within the bound. */

const TTL = 5000;

/** The registry with its two authentication reads counted. */
function counted(ports: MemoryPorts) {
  const reads = { credential: 0, installation: 0 };
  const source = {
    getCredential: (hash: string) => (reads.credential++, ports.registry.getCredential(hash)),
    getInstallation: (m: string, c: string) => (reads.installation++, ports.registry.getInstallation(m, c)),
  };
  return { reads, cache: new CredentialCache(source, TTL, ports.clock.now) };
}

const seconds = (ms: number) => Math.floor(ms / 1000);

describe('CredentialCache', () => {
  it('authenticates a known caller again without reading the registry until the bound has passed', async () => {
    const ports = memoryPorts();
    const app = await installApp(ports);
    const { reads, cache } = counted(ports);
    const token = { type: 'token' as const, token: app.accessToken };

    const first = await authenticate(cache, token, seconds(ports.clock.current));
    ports.clock.advance(TTL - 1);
    const second = await authenticate(cache, token, seconds(ports.clock.current));
    expect(second).toEqual(first);
    expect(reads).toEqual({ credential: 1, installation: 1 });

    ports.clock.advance(1);
    await authenticate(cache, token, seconds(ports.clock.current));
    expect(reads).toEqual({ credential: 2, installation: 2 });
  });

  it('refuses a revoked token and an uninstalled application once the bound has passed, not later', async () => {
    const ports = memoryPorts();
    const app = await installApp(ports);
    const other = await installApp(ports);
    const { cache } = counted(ports);
    const asApp = () => authenticate(cache, { type: 'token', token: app.accessToken }, seconds(ports.clock.current));
    const asOther = () => authenticate(cache, { type: 'token', token: other.accessToken }, seconds(ports.clock.current));
    await asApp();
    await asOther();

    await ports.registry.deleteCredential(hashSecret(app.accessToken));
    await uninstall(installationDeps(ports), other.memberId, other.clientId, ports.clock.current);
    // Within the bound the container still knows them (the promise's stated cost)...
    ports.clock.advance(TTL - 1);
    await expect(asApp()).resolves.toMatchObject({ clientId: app.clientId });
    await expect(asOther()).resolves.toMatchObject({ clientId: other.clientId });
    // ...at the bound they are refused.
    ports.clock.advance(1);
    await expect(asApp()).rejects.toMatchObject({ code: 'invalid_token' });
    await expect(asOther()).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('keeps nothing it did not find: an unknown token is read every time, and a token stored later works at once', async () => {
    const ports = memoryPorts();
    const app = await installApp(ports);
    const { reads, cache } = counted(ports);
    const credential = (await ports.registry.getCredential(hashSecret(app.accessToken)))!;
    const late = { type: 'token' as const, token: 'a-token-minted-later' };

    await expect(authenticate(cache, late, seconds(ports.clock.current))).rejects.toMatchObject({ code: 'invalid_token' });
    await expect(authenticate(cache, late, seconds(ports.clock.current))).rejects.toMatchObject({ code: 'invalid_token' });
    expect(reads.credential).toBe(2);
    await ports.registry.putCredential(hashSecret(late.token), credential);
    await expect(authenticate(cache, late, seconds(ports.clock.current))).resolves.toMatchObject({ clientId: app.clientId });
  });

  it('takes a reinstalled application’s new token at once, though it knew the old installation', async () => {
    const ports = memoryPorts();
    const app = await installApp(ports);
    const { reads, cache } = counted(ports);
    await authenticate(cache, { type: 'token', token: app.accessToken }, seconds(ports.clock.current));
    await uninstall(installationDeps(ports), app.memberId, app.clientId, ports.clock.current);
    const again = await installApp(ports, { memberId: app.memberId, clientId: app.clientId });
    expect(again.caller.installation.generation).not.toBe(app.caller.installation.generation);

    await expect(authenticate(cache, { type: 'token', token: again.accessToken }, seconds(ports.clock.current))).resolves.toMatchObject({ installation: { generation: again.caller.installation.generation } });
    expect(reads.installation).toBe(2); // the copy of the old generation, then the registry once more
    // The old token is still known within the bound, but its installation is no longer: refused at once.
    await expect(authenticate(cache, { type: 'token', token: app.accessToken }, seconds(ports.clock.current))).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('still checks an access token’s expiry on every request, and with a bound of 0 reads every time', async () => {
    const ports = memoryPorts();
    const app = await installApp(ports);
    const { cache } = counted(ports);
    const token = { type: 'token' as const, token: app.accessToken };
    const expiresAt = (await ports.registry.getCredential(hashSecret(app.accessToken)))!.expiresAt!;
    await authenticate(cache, token, expiresAt - 1);
    await expect(authenticate(cache, token, expiresAt)).rejects.toMatchObject({ code: 'expired_token' });

    let reads = 0;
    const uncached = new CredentialCache({ getCredential: (h) => (reads++, ports.registry.getCredential(h)), getInstallation: (m, c) => ports.registry.getInstallation(m, c) }, 0, ports.clock.now);
    await authenticate(uncached, token, seconds(ports.clock.current));
    await authenticate(uncached, token, seconds(ports.clock.current));
    expect(reads).toBe(2);
  });

  it('holds at most its size, dropping the oldest entry first', async () => {
    const ports = memoryPorts();
    const apps = [await installApp(ports), await installApp(ports), await installApp(ports)];
    let reads = 0;
    const cache = new CredentialCache({ getCredential: (h) => (reads++, ports.registry.getCredential(h)), getInstallation: (m, c) => ports.registry.getInstallation(m, c) }, TTL, ports.clock.now, 2);
    for (const app of apps) await cache.getCredential(hashSecret(app.accessToken));
    await cache.getCredential(hashSecret(apps[2]!.accessToken));
    await cache.getCredential(hashSecret(apps[1]!.accessToken));
    expect(reads).toBe(3);
    await cache.getCredential(hashSecret(apps[0]!.accessToken));
    expect(reads).toBe(4);
  });
});
