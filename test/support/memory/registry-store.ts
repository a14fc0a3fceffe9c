import type { Credential, Installation, Portal } from '../../../lambdas/domain/model';
import type { RegistryStore } from '../../../lambdas/domain/ports';

/**
 * RegistryStore in memory, as adapters/dynamo/registry-repository.ts stores it:
 * - every read returns a copy (the store never shares an object with its caller);
 * - an installation's `kind` survives only as 'webhook', `installHandler` only when set,
 *   connectors come back de-duplicated and sorted (a string set);
 * - `addConnector` fails when the installation does not exist (a conditional update);
 * - installations list by portal in client-id order (the sort key), all of them by portal then
 *   client id (a Scan has no order; this one is fixed so tests can compare);
 * - credentials are kept until deleted (DynamoDB's TTL removal of expired tokens is lazy and
 *   not modelled: readers check `expiresAt` themselves).
 */
export class MemoryRegistryStore implements RegistryStore {
  readonly portals = new Map<string, Portal>();
  readonly installations = new Map<string, Installation>();
  readonly clientSecretHashes = new Map<string, string>();
  readonly credentials = new Map<string, Credential>();

  async getPortal(memberId: string): Promise<Portal | undefined> {
    const portal = this.portals.get(memberId);
    return portal ? { ...portal } : undefined;
  }

  async putPortal(portal: Portal): Promise<void> {
    this.portals.set(portal.memberId, { memberId: portal.memberId, domain: portal.domain });
  }

  async getInstallation(memberId: string, clientId: string): Promise<Installation | undefined> {
    const stored = this.installations.get(installationKey(memberId, clientId));
    return stored ? normalised(stored) : undefined;
  }

  async putInstallation(installation: Installation): Promise<void> {
    this.installations.set(installationKey(installation.memberId, installation.clientId), structuredClone(installation));
  }

  async deleteInstallation(memberId: string, clientId: string): Promise<void> {
    this.installations.delete(installationKey(memberId, clientId));
  }

  async listInstallations(memberId?: string): Promise<Installation[]> {
    return [...this.installations.values()]
      .filter((i) => memberId === undefined || memberId === '' || i.memberId === memberId)
      .sort((a, b) => compare(a.memberId, b.memberId) || compare(a.clientId, b.clientId))
      .map(normalised);
  }

  async addConnector(memberId: string, clientId: string, connector: string): Promise<void> {
    const stored = this.installations.get(installationKey(memberId, clientId));
    if (!stored) throw new Error(`The conditional request failed: no installation ${clientId} on ${memberId}`);
    if (!stored.connectors.includes(connector)) stored.connectors = [...stored.connectors, connector];
  }

  async getClientSecretHash(clientId: string): Promise<string | undefined> {
    return this.clientSecretHashes.get(clientId);
  }

  async putClientSecretHash(clientId: string, hash: string): Promise<void> {
    this.clientSecretHashes.set(clientId, hash);
  }

  async getCredential(secretHash: string): Promise<Credential | undefined> {
    const stored = this.credentials.get(secretHash);
    if (!stored) return undefined;
    const { kind, memberId, clientId, userId, admin, generation, expiresAt } = stored;
    return { kind, memberId, clientId, userId, admin, generation, ...(expiresAt !== undefined ? { expiresAt } : {}) };
  }

  async putCredential(secretHash: string, credential: Credential): Promise<void> {
    this.credentials.set(secretHash, { ...credential });
  }

  async deleteCredential(secretHash: string): Promise<void> {
    this.credentials.delete(secretHash);
  }

  async deleteCredentialsOf(memberId: string, clientId: string): Promise<number> {
    let removed = 0;
    for (const [hash, credential] of this.credentials) {
      if (credential.memberId === memberId && credential.clientId === clientId) {
        this.credentials.delete(hash);
        removed++;
      }
    }
    return removed;
  }
}

const installationKey = (memberId: string, clientId: string): string => JSON.stringify([memberId, clientId]);
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The installation as the DynamoDB adapter reads it back. */
function normalised(stored: Installation): Installation {
  const { kind, installHandler, connectors, ...rest } = structuredClone(stored);
  return {
    ...rest,
    connectors: [...new Set(connectors)].sort(),
    ...(kind === 'webhook' ? { kind } : {}),
    ...(typeof installHandler === 'string' ? { installHandler } : {}),
  };
}
