import { hashSecret } from '../domain/credentials';
import { errors } from '../domain/errors';
import type { Caller, Credential, Installation } from '../domain/model';
import type { RegistryStore } from '../domain/ports';

/**
 * What authentication reads: the registry, or the registry through a `CredentialCache`, which
 * also reads an installation past its copy when the copy belongs to another generation.
 */
export type CredentialSource = Pick<RegistryStore, 'getCredential' | 'getInstallation'> & {
  getFreshInstallation?(memberId: string, clientId: string): Promise<Installation | undefined>;
};

/** The credential a request presented (docs/rest-api.md–2). */
export type PresentedCredential =
  | { type: 'none' }
  | { type: 'token'; token: string }
  | { type: 'webhook'; userId: number; secret: string };

/**
 * Resolves a request's credential to its caller.
 * 1. Look the secret up by its hash.
 * 2. Check its kind, expiry and (for webhooks) the user in the path.
 * 3. Load the installation and check the credential belongs to the current one.
 */
export async function authenticate(registry: CredentialSource, presented: PresentedCredential, nowSeconds: number): Promise<Caller> {
  if (presented.type === 'none') throw errors.noAuth();
  const isWebhook = presented.type === 'webhook';
  const reject = isWebhook ? errors.invalidCredentials : errors.invalidToken;

  const secret = isWebhook ? presented.secret : presented.token;
  const credential = secret === '' ? undefined : await registry.getCredential(hashSecret(secret));
  if (!credential) throw reject();
  if (isWebhook) {
    if (credential.kind !== 'webhook' || credential.userId !== presented.userId) throw reject();
  } else {
    if (credential.kind !== 'access') throw reject();
    if (credential.expiresAt !== undefined && credential.expiresAt <= nowSeconds) throw errors.expiredToken();
  }

  let installation = await registry.getInstallation(credential.memberId, credential.clientId);
  // A copy from before an uninstall and a new install: the credential is newer than the copy.
  if (installation && installation.generation !== credential.generation && registry.getFreshInstallation) {
    installation = await registry.getFreshInstallation(credential.memberId, credential.clientId);
  }
  if (!installation || installation.generation !== credential.generation) throw reject();

  return {
    memberId: credential.memberId,
    clientId: credential.clientId,
    userId: credential.userId,
    admin: credential.admin,
    installation,
    credentialKind: credential.kind,
  };
}

export function requireAdmin(caller: Caller, what: string): void {
  if (!caller.admin) throw errors.accessDenied(`${what} requires administrator access rights`);
}

/**
 * The registry's credentials and installations as a container last read them, for at most
 * `ttlMs` (docs/rest-api.md, docs/limits.md): a warm container authenticates a known caller
 * without a read. Only what was found is kept (an unknown secret or a missing installation is
 * read again on every request, so a new token works at once, and a copy of an installation whose
 * generation differs from the credential's is read again, so a reinstall works at once); a revoked token,
 * a new installation generation or an uninstall is seen at the latest `ttlMs` after the read
 * that cached the old state. An access token's expiry is still checked on every request. At
 * most `maxEntries` of each are kept, the oldest dropped first. `ttlMs` 0 reads every time.
 */
export class CredentialCache implements CredentialSource {
  private readonly credentials = new Map<string, { value: Credential; until: number }>();
  private readonly installations = new Map<string, { value: Installation; until: number }>();

  constructor(
    private readonly registry: CredentialSource,
    private readonly ttlMs: number,
    private readonly clock: () => number,
    private readonly maxEntries = 10_000,
  ) {}

  getCredential(secretHash: string): Promise<Credential | undefined> {
    return this.cached(this.credentials, secretHash, () => this.registry.getCredential(secretHash));
  }

  /** The installation as the registry has it now (and kept from now on). */
  getFreshInstallation(memberId: string, clientId: string): Promise<Installation | undefined> {
    this.installations.delete(`${memberId}#${clientId}`);
    return this.getInstallation(memberId, clientId);
  }

  getInstallation(memberId: string, clientId: string): Promise<Installation | undefined> {
    return this.cached(this.installations, `${memberId}#${clientId}`, () => this.registry.getInstallation(memberId, clientId));
  }

  private async cached<T>(entries: Map<string, { value: T; until: number }>, key: string, read: () => Promise<T | undefined>): Promise<T | undefined> {
    if (this.ttlMs <= 0) return read();
    const hit = entries.get(key);
    if (hit && hit.until > this.clock()) return hit.value;
    // The time is taken before the read, so an entry never outlives ttlMs after the state it saw.
    const readAt = this.clock();
    const value = await read();
    entries.delete(key);
    if (value !== undefined) {
      if (entries.size >= this.maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(key, { value, until: readAt + this.ttlMs });
    }
    return value;
  }
}
