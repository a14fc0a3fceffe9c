import { createHash, randomBytes } from 'node:crypto';

/** Secrets are stored under their SHA-256; the secret itself is never stored (docs/rest-api.md). */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** 64 hex chars: access and refresh tokens. */
export const newToken = (): string => randomBytes(32).toString('hex');
/** 32 hex chars: webhook secrets and application tokens (Bitrix uses 32-char tokens). */
export const newShortSecret = (): string => randomBytes(16).toString('hex');
/** Client secrets. */
export const newClientSecret = (): string => randomBytes(24).toString('base64url');

export const MEMBER_ID = /^[0-9a-f]{32}$/;
export const CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
