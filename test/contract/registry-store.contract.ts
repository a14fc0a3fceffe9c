import { randomBytes } from 'node:crypto';
import type { Credential, Installation } from '../../lambdas/domain/model';
import type { RegistryStore } from '../../lambdas/domain/ports';

/** What every RegistryStore does; run against the DynamoDB adapter and the in-memory fake. */
export function registryStoreContract(name: string, make: () => RegistryStore): void {
  const hex = (bytes: number) => randomBytes(bytes).toString('hex');
  const installation = (memberId: string, clientId: string, over: Partial<Installation> = {}): Installation => ({
    memberId,
    clientId,
    domain: 'portal.example.com',
    applicationToken: hex(16),
    scopes: ['crm', 'task'],
    status: 'L',
    handlerHosts: [],
    installerUserId: 1,
    generation: hex(8),
    connectors: [],
    webhooks: { '1': hex(32) },
    admins: [1],
    signingSecret: 'whsec_abc',
    installedAt: 1_700_000_000_000,
    ...over,
  });

  describe(`RegistryStore contract: ${name}`, () => {
    it('keeps portals and answers undefined for unknown ones', async () => {
      const store = make();
      const memberId = hex(16);
      expect(await store.getPortal(memberId)).toBeUndefined();
      await store.putPortal({ memberId, domain: 'a.example.com' });
      await store.putPortal({ memberId, domain: 'b.example.com' });
      expect(await store.getPortal(memberId)).toEqual({ memberId, domain: 'b.example.com' });
    });

    it('round-trips an installation, replaces it on put, deletes it', async () => {
      const store = make();
      const memberId = hex(16);
      const plain = installation(memberId, 'app.one');
      await store.putInstallation(plain);
      expect(await store.getInstallation(memberId, 'app.one')).toEqual(plain);
      const webhook = installation(memberId, 'webhook.two', { kind: 'webhook', installHandler: 'https://h.example.com/install', connectors: ['b', '', 'a'] });
      await store.putInstallation(webhook);
      expect(await store.getInstallation(memberId, 'webhook.two')).toEqual({ ...webhook, connectors: ['', 'a', 'b'] });
      await store.putInstallation({ ...plain, status: 'P' });
      expect(await store.getInstallation(memberId, 'app.one')).toMatchObject({ status: 'P' });
      await store.deleteInstallation(memberId, 'app.one');
      expect(await store.getInstallation(memberId, 'app.one')).toBeUndefined();
    });

    it('an application installation reads back without a kind', async () => {
      const store = make();
      const memberId = hex(16);
      await store.putInstallation(installation(memberId, 'app.one', { kind: 'application' }));
      expect(await store.getInstallation(memberId, 'app.one')).not.toHaveProperty('kind');
    });

    it('adds connectors once each, and only to an installation that exists', async () => {
      const store = make();
      const memberId = hex(16);
      await store.putInstallation(installation(memberId, 'app.one'));
      await store.addConnector(memberId, 'app.one', 'sync');
      await store.addConnector(memberId, 'app.one', '');
      await store.addConnector(memberId, 'app.one', 'sync');
      expect((await store.getInstallation(memberId, 'app.one'))!.connectors).toEqual(['', 'sync']);
      await expect(store.addConnector(memberId, 'app.missing', 'x')).rejects.toThrow();
      expect(await store.getInstallation(memberId, 'app.missing')).toBeUndefined();
    });

    it('lists a portal’s installations in client id order, and all portals’ without one', async () => {
      const store = make();
      const [m1, m2] = [hex(16), hex(16)];
      await store.putInstallation(installation(m1, 'app.b'));
      await store.putInstallation(installation(m1, 'app.a'));
      await store.putInstallation(installation(m2, 'app.c'));
      expect((await store.listInstallations(m1)).map((i) => i.clientId)).toEqual(['app.a', 'app.b']);
      const everywhere = (await store.listInstallations()).filter((i) => i.memberId === m1 || i.memberId === m2);
      expect(everywhere.map((i) => `${i.memberId === m1 ? 1 : 2}:${i.clientId}`).sort()).toEqual(['1:app.a', '1:app.b', '2:app.c']);
    });

    it('keeps client secret hashes per application', async () => {
      const store = make();
      const clientId = `app.${hex(6)}`;
      expect(await store.getClientSecretHash(clientId)).toBeUndefined();
      await store.putClientSecretHash(clientId, 'h1');
      expect(await store.getClientSecretHash(clientId)).toBe('h1');
    });

    it('keeps credentials by hash, deletes one, and deletes every credential of one installation', async () => {
      const store = make();
      const memberId = hex(16);
      const credential = (clientId: string, over: Partial<Credential> = {}): Credential => ({ kind: 'access', memberId, clientId, userId: 1, admin: true, generation: 'g', expiresAt: 2_000_000_000, ...over });
      const [a1, a2, w1, b1] = [hex(32), hex(32), hex(32), hex(32)];
      await store.putCredential(a1, credential('app.a'));
      await store.putCredential(a2, credential('app.a', { kind: 'refresh' }));
      await store.putCredential(w1, credential('app.a', { kind: 'webhook', expiresAt: undefined }));
      await store.putCredential(b1, credential('app.b'));
      expect(await store.getCredential(a1)).toEqual(credential('app.a'));
      expect(await store.getCredential(w1)).toEqual({ kind: 'webhook', memberId, clientId: 'app.a', userId: 1, admin: true, generation: 'g' });
      await store.deleteCredential(a2);
      expect(await store.getCredential(a2)).toBeUndefined();
      expect(await store.deleteCredentialsOf(memberId, 'app.a')).toBe(2);
      expect(await store.getCredential(a1)).toBeUndefined();
      expect(await store.getCredential(w1)).toBeUndefined();
      expect(await store.getCredential(b1)).toEqual(credential('app.b'));
    });
  });
}
