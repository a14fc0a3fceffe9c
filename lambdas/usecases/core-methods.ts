import { createHash } from 'node:crypto';
import type { EventCatalog } from '../domain/catalog';
import { errors } from '../domain/errors';
import type { Caller } from '../domain/model';
import { APP_VERSION, LANGUAGE_ID } from './installations';

/**
 * The methods an application calls first (docs/core-methods.md; api-reference/common/system/*.md,
 * api-reference/common/users/profile.md), served from what the service knows: the caller's
 * installation and scopes, the user and the admin flag, the method catalog and the clock.
 * Everything comes from the caller's own credential: no parameter names another portal or
 * application.
 */

/**
 * `scope`: the scopes granted to the installation; `full`: every scope this service knows
 * (the event catalog's).
 */
export function scopes(deps: { catalog: EventCatalog }, caller: Caller, options: { full: boolean }): string[] {
  return options.full ? deps.catalog.knownScopes() : [...caller.installation.scopes];
}

/**
 * `methods`: the REST methods this service serves, all of them in Bitrix24's `basic` scope
 * (no scope needed). `scope=<name>` lists that scope's methods: every method for `basic` or
 * an empty value, none for any other scope; `full` lists all.
 */
export function methodList(allMethods: readonly string[], options: { full: boolean; scope?: string }): string[] {
  const names = [...allMethods].sort();
  if (options.full || options.scope === undefined) return names;
  const scope = options.scope.trim().toLowerCase();
  return scope === '' || scope === 'basic' ? names : [];
}

/** A stable integer for the installation: Bitrix24's local application ID, which this service does not keep. */
export function applicationNumber(memberId: string, clientId: string): number {
  return Number.parseInt(createHash('sha256').update(`${memberId}/${clientId}`).digest('hex').slice(0, 7), 16) + 1;
}

/**
 * `app.info`: Bitrix24's shape. This service has one version of every application, no
 * payment period and no Bitrix24 plan: `PAYMENT_EXPIRED` is `N`, `DAYS` null, and the
 * license fields say self-hosted in English.
 */
export function applicationInfo(caller: Caller): Record<string, unknown> {
  return {
    ID: applicationNumber(caller.memberId, caller.clientId),
    CODE: caller.clientId,
    VERSION: Number(APP_VERSION),
    STATUS: caller.installation.status,
    INSTALLED: true,
    PAYMENT_EXPIRED: 'N',
    DAYS: null,
    LANGUAGE_ID,
    LICENSE: `${LANGUAGE_ID}_selfhosted`,
    LICENSE_TYPE: 'selfhosted',
    LICENSE_FAMILY: 'selfhosted',
  };
}

/** `profile`: the caller's id and admin flag; the service keeps no names, so they are empty. */
export function profile(caller: Caller): Record<string, unknown> {
  return { ID: String(caller.userId), ADMIN: caller.admin, NAME: '', LAST_NAME: '', PERSONAL_GENDER: '', TIME_ZONE: '' };
}

/** Features of api-reference/common/system/feature-get.md that this service has. */
const FEATURES: Readonly<Record<string, 'Y' | 'N'>> = {
  rest_offline_extended: 'Y', // offline events
  rest_auth_connector: 'Y', // auth_connector in events
};

/** `feature.get`: `{value: Y|N}`; an unknown code is a feature this service does not have. */
export function feature(code: string | undefined): { value: 'Y' | 'N' } {
  const wanted = (code ?? '').trim();
  if (wanted === '') throw errors.codeEmpty();
  return { value: FEATURES[wanted.toLowerCase()] ?? 'N' };
}

/** `server.time`: `YYYY-MM-DDThh:mm:ss+00:00` (the service's clock is UTC). */
export function serverTime(now: number): string {
  return `${new Date(now).toISOString().slice(0, 19)}+00:00`;
}
