import { hashSecret, newToken } from '../domain/credentials';
import { endpoints, type MintedTokens, type TokenGrant } from '../domain/delivery';
import { errors } from '../domain/errors';
import type { Installation } from '../domain/model';
import type { RegistryStore } from '../domain/ports';

export interface TokenSettings {
  publicUrl: string;
  accessTokenTtl: number;
  refreshTokenTtl: number;
}

/**
 * Issues tokens for a user of an installed application: an access token (valid for this
 * service's REST API with the application's scopes and the user's role) and, when asked, a
 * refresh token. Both are stored hashed and expire through DynamoDB TTL.
 */
export async function mintTokens(
  registry: RegistryStore,
  installation: Installation,
  userId: number,
  grant: Exclude<TokenGrant, 'none'>,
  settings: TokenSettings,
  nowSeconds: number,
): Promise<MintedTokens> {
  const base = {
    memberId: installation.memberId,
    clientId: installation.clientId,
    userId,
    admin: installation.admins.includes(userId),
    generation: installation.generation,
  };
  const accessToken = newToken();
  const refreshToken = grant === 'access+refresh' ? newToken() : undefined;
  await registry.putCredential(hashSecret(accessToken), { ...base, kind: 'access', expiresAt: nowSeconds + settings.accessTokenTtl });
  if (refreshToken) await registry.putCredential(hashSecret(refreshToken), { ...base, kind: 'refresh', expiresAt: nowSeconds + settings.refreshTokenTtl });
  return {
    access_token: accessToken,
    expires: nowSeconds + settings.accessTokenTtl,
    expires_in: settings.accessTokenTtl,
    scope: installation.scopes.join(','),
    user_id: userId,
    ...(refreshToken ? { refresh_token: refreshToken } : {}),
  };
}


export interface RefreshRequest {
  grantType: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

/**
 * `/oauth/token/?grant_type=refresh_token&client_id=…&client_secret=…&refresh_token=…`:
 * a new access and refresh token for the same user and application, in Bitrix24's OAuth
 * response shape. The refresh token is used up (rotation): a second use is `invalid_grant`.
 */
export async function refreshTokens(registry: RegistryStore, request: RefreshRequest, settings: TokenSettings, nowSeconds: number): Promise<Record<string, unknown>> {
  if (request.grantType !== 'refresh_token') throw errors.oauth('unsupported_grant_type', 'Only grant_type=refresh_token is supported');
  if (!request.clientId || !request.clientSecret) throw errors.oauth('invalid_client', 'client_id and client_secret are required');
  const secretHash = await registry.getClientSecretHash(request.clientId);
  if (!secretHash || secretHash !== hashSecret(request.clientSecret)) throw errors.oauth('invalid_client', 'Unknown client or wrong client secret');
  if (!request.refreshToken) throw errors.oauth('invalid_request', 'refresh_token is required');

  const tokenHash = hashSecret(request.refreshToken);
  const credential = await registry.getCredential(tokenHash);
  const valid = credential && credential.kind === 'refresh' && credential.clientId === request.clientId && (credential.expiresAt ?? 0) > nowSeconds;
  if (!credential || !valid) throw errors.oauth('invalid_grant', 'The refresh token is invalid or has expired');
  const installation = await registry.getInstallation(credential.memberId, credential.clientId);
  if (!installation || installation.generation !== credential.generation) throw errors.oauth('invalid_grant', 'The application is no longer installed');

  await registry.deleteCredential(tokenHash);
  const tokens = await mintTokens(registry, installation, credential.userId, 'access+refresh', settings, nowSeconds);
  return {
    access_token: tokens.access_token,
    expires: tokens.expires,
    expires_in: tokens.expires_in,
    scope: tokens.scope,
    domain: installation.domain,
    ...endpoints(settings.publicUrl),
    status: installation.status,
    member_id: installation.memberId,
    user_id: tokens.user_id,
    refresh_token: tokens.refresh_token,
  };
}
