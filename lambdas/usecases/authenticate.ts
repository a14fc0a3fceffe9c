import { hashSecret } from '../domain/credentials';
import { errors } from '../domain/errors';
import type { Caller } from '../domain/model';
import type { RegistryStore } from '../domain/ports';

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
export async function authenticate(registry: RegistryStore, presented: PresentedCredential, nowSeconds: number): Promise<Caller> {
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

  const installation = await registry.getInstallation(credential.memberId, credential.clientId);
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
