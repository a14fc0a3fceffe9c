import { hashSecret, newToken } from '../domain/credentials';
import { endpoints, type MintedTokens, type TokenGrant } from '../domain/delivery';
import { errors } from '../domain/errors';
import type { Installation } from '../domain/model';
import type { RegistryStore } from '../domain/ports';
import { TtlCache } from '../domain/ttl-cache';

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

/** An access token minted for deliveries, kept in the worker's memory (plain text: it is handed out again). */
interface KeptToken {
  accessToken: string;
  expires: number;
}

/**
 * The access tokens a delivery worker has minted, by (installation generation, user, admin
 * flag, scopes). A token is handed out again until half its lifetime has passed, so a handler
 * always gets at least `ACCESS_TOKEN_TTL_SECONDS / 2` (30 minutes by default) of validity, and
 * a busy user costs one credential write per half lifetime per worker instead of one per
 * delivery (docs/delivery.md, "Payload and tokens").
 */
export class DeliveryTokens {
  private readonly kept: TtlCache<KeptToken>;

  constructor(private readonly settings: TokenSettings) {
    this.kept = new TtlCache(Math.floor(settings.accessTokenTtl / 2) * 1000);
  }

  /**
   * Tokens for a delivery. An access-only grant reuses a kept token, `expires_in` counting down
   * to its fixed `expires`. A grant with a refresh token mints both afresh: a refresh token works
   * once, so two handlers (or two events) must never share one.
   */
  async handOut(registry: RegistryStore, installation: Installation, userId: number, grant: Exclude<TokenGrant, 'none'>, nowSeconds: number): Promise<MintedTokens> {
    if (grant !== 'access') return mintTokens(registry, installation, userId, grant, this.settings, nowSeconds);
    const admin = installation.admins.includes(userId);
    const key = JSON.stringify([installation.memberId, installation.clientId, installation.generation, userId, admin, installation.scopes]);
    const kept = await this.kept.get(key, nowSeconds * 1000, async () => {
      const minted = await mintTokens(registry, installation, userId, 'access', this.settings, nowSeconds);
      return { accessToken: minted.access_token, expires: minted.expires };
    });
    return {
      access_token: kept.accessToken,
      expires: kept.expires,
      expires_in: kept.expires - nowSeconds,
      scope: installation.scopes.join(','),
      user_id: userId,
    };
  }
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
