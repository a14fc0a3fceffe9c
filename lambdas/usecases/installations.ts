import { hashSecret, newClientSecret, newShortSecret } from '../domain/credentials';
import { deliveryFor, endpoints, newSigningSecret } from '../domain/delivery';
import { mintTokens } from './tokens';
import { errors } from '../domain/errors';
import type { AppStatus, Installation } from '../domain/model';
import { checkHandlerUrl } from '../domain/bindings';
import type { BindingStore, DeliveryQueue, JournalStore, RegistryStore } from '../domain/ports';

export interface InstallationDeps {
  registry: RegistryStore;
  bindings: BindingStore;
  journal: JournalStore;
  publicUrl: string;
  accessTokenTtl: number;
  refreshTokenTtl: number;
  /** Where lifecycle events (ONAPPINSTALL, ONAPPUNINSTALL) go; absent when the CLI cannot reach the queue. */
  deliveries?: DeliveryQueue;
}

export interface InstallRequest {
  memberId: string;
  domain: string;
  clientId: string;
  userId: number;
  admin: boolean;
  /** Absent: keep the installation's scopes (a new one gets crm, task, user). */
  scopes?: string[];
  handlerHosts?: string[];
  status?: AppStatus;
  /** The application's secret when the operator already has one (it is checked or set). */
  clientSecret?: string;
  /** The application's install handler: it gets ONAPPINSTALL (kept for later installs). */
  installHandler?: string;
  /** A known portal keeps its domain unless this says the new one replaces it. */
  changeDomain?: boolean;
}

/**
 * Lifecycle event data, key by key as Bitrix24 documents each event
 * (api-reference/common/events/on-app-install.md, on-app-uninstall.md): this service has one
 * application version and speaks English; an installation it announces is active and finished.
 */
export const APP_VERSION = '1';
export const LANGUAGE_ID = 'en';
export const installEventData = () => ({ VERSION: APP_VERSION, ACTIVE: 'Y', INSTALLED: 'Y', LANGUAGE_ID });
export const uninstallEventData = () => ({ LANGUAGE_ID, CLEAN: 1 });

export const DEFAULT_SCOPES = ['crm', 'task', 'user'];


/**
 * The operator's `install` (docs/rest-api.md, provisioning).
 * 1. Create the portal and the application on first use (the client secret is generated or
 *    taken from the operator, and stored hashed).
 * 2. Create the installation, or update it, keeping its application token and generation.
 * 3. Issue this user's access and refresh tokens and incoming-webhook secret (replacing the
 *    user's previous webhook secret).
 * The client secret is printed only when it is new or was given: it is stored hashed.
 */
export async function install(deps: InstallationDeps, request: InstallRequest, now: number): Promise<Record<string, unknown>> {
  const nowSeconds = Math.floor(now / 1000);
  // Bad input writes nothing: the install handler's URL is checked before the first write.
  if (request.installHandler) checkHandlerUrl(request.installHandler, request.handlerHosts ?? []);
  // A typo in --domain must not move a portal: another domain is refused unless asked for.
  const portal = await deps.registry.getPortal(request.memberId);
  if (portal && portal.domain !== request.domain && !request.changeDomain) {
    throw errors.badRequest(
      `Portal ${request.memberId} is installed with domain ${portal.domain}, not ${request.domain}: give --domain ${portal.domain}, or add --change-domain to move the portal to ${request.domain}`,
    );
  }
  await deps.registry.putPortal({ memberId: request.memberId, domain: request.domain });

  let clientSecret: string | null = null;
  const storedHash = await deps.registry.getClientSecretHash(request.clientId);
  if (storedHash === undefined) {
    clientSecret = request.clientSecret ?? newClientSecret();
    await deps.registry.putClientSecretHash(request.clientId, hashSecret(clientSecret));
  } else if (request.clientSecret !== undefined) {
    if (hashSecret(request.clientSecret) !== storedHash) throw errors.badRequest('The client secret does not match the application');
    clientSecret = request.clientSecret;
  }

  const existing = await deps.registry.getInstallation(request.memberId, request.clientId);
  if (existing?.kind === 'webhook' || request.clientId.startsWith('webhook.')) throw errors.badRequest('webhook.* client ids belong to outgoing webhooks');
  const installation: Installation = {
    memberId: request.memberId,
    clientId: request.clientId,
    domain: request.domain,
    applicationToken: existing?.applicationToken ?? newShortSecret(),
    scopes: request.scopes ?? existing?.scopes ?? DEFAULT_SCOPES,
    status: request.status ?? existing?.status ?? 'L',
    handlerHosts: request.handlerHosts ?? existing?.handlerHosts ?? [],
    installerUserId: existing?.installerUserId ?? request.userId,
    generation: existing?.generation ?? newShortSecret(),
    connectors: existing?.connectors ?? [],
    webhooks: { ...(existing?.webhooks ?? {}) },
    admins: [...new Set([...(existing?.admins ?? []).filter((id) => id !== request.userId), ...(request.admin ? [request.userId] : [])])].sort((a, b) => a - b),
    signingSecret: existing?.signingSecret || newSigningSecret(),
    ...((request.installHandler ?? existing?.installHandler) ? { installHandler: request.installHandler ?? existing?.installHandler } : {}),
    installedAt: existing?.installedAt ?? now,
  };

  if (installation.installHandler) checkHandlerUrl(installation.installHandler, installation.handlerHosts);
  const base = { memberId: request.memberId, clientId: request.clientId, userId: request.userId, admin: request.admin, generation: installation.generation };
  const webhookSecret = newShortSecret();
  const previousWebhook = installation.webhooks[String(request.userId)];
  installation.webhooks[String(request.userId)] = hashSecret(webhookSecret);

  // The installation's admins include this user when installed as one: the tokens carry that role.
  const tokens = await mintTokens(deps.registry, installation, request.userId, 'access+refresh', { publicUrl: deps.publicUrl, accessTokenTtl: deps.accessTokenTtl, refreshTokenTtl: deps.refreshTokenTtl }, nowSeconds);
  await deps.registry.putCredential(hashSecret(webhookSecret), { ...base, kind: 'webhook' });
  await deps.registry.putInstallation(installation);
  if (previousWebhook) await deps.registry.deleteCredential(previousWebhook);

  return {
    member_id: request.memberId,
    domain: request.domain,
    client_id: request.clientId,
    client_secret: clientSecret,
    application_token: installation.applicationToken,
    webhook_signing_secret: installation.signingSecret,
    status: installation.status,
    scope: installation.scopes.join(','),
    user_id: request.userId,
    admin: request.admin,
    access_token: tokens.access_token,
    refresh_token: tokens.refresh_token,
    expires_in: tokens.expires_in,
    expires: tokens.expires,
    webhook_url: `${deps.publicUrl}/rest/${request.userId}/${webhookSecret}/`,
    ...endpoints(deps.publicUrl),
    ...(installation.installHandler ? { install_handler: installation.installHandler, install_event: await announceInstall(deps, installation, request.userId, now) } : {}),
  };
}

/** ONAPPINSTALL to the install handler (tokens with a refresh token for the installing user). */
async function announceInstall(deps: InstallationDeps, installation: Installation, userId: number, now: number): Promise<string> {
  if (!deps.deliveries) return 'not sent: the delivery queue is not reachable';
  await deps.deliveries.enqueue([
    {
      memberId: installation.memberId,
      clientId: installation.clientId,
      bindingId: 0,
      event: 'ONAPPINSTALL',
      handler: installation.installHandler!,
      userId,
      data: installEventData(),
      ts: Math.floor(now / 1000),
    },
  ]);
  return 'queued';
}

/**
 * The operator's `uninstall`: ONAPPUNINSTALL goes to the application's online ONAPPUNINSTALL
 * handlers (no tokens: `application_token` and the portal only), and then nothing of the
 * application is left: installation, bindings, journal queues, and every credential (access
 * and refresh tokens, webhook secrets).
 */
export async function uninstall(deps: InstallationDeps, memberId: string, clientId: string, now = Date.now()): Promise<Record<string, unknown>> {
  const installation = await deps.registry.getInstallation(memberId, clientId);
  if (!installation || installation.kind === 'webhook') throw errors.badRequest(`Application ${clientId} is not installed on portal ${memberId}`);
  await deps.registry.deleteInstallation(memberId, clientId);
  const bindings = await deps.bindings.listByApplication(memberId, clientId);
  await Promise.all(bindings.map((b) => deps.bindings.delete(b)));
  let records = 0;
  for (const connector of installation.connectors) {
    records += await deps.journal.deleteQueue({ memberId, clientId, connector });
  }
  const credentials = await deps.registry.deleteCredentialsOf(memberId, clientId);

  const handlers = bindings.filter((b) => b.event === 'ONAPPUNINSTALL' && !b.offline);
  let event = handlers.length === 0 ? 'no ONAPPUNINSTALL handler' : 'not sent: the delivery queue is not reachable';
  if (handlers.length > 0 && deps.deliveries) {
    const uninstalled = { domain: installation.domain, applicationToken: installation.applicationToken, status: installation.status, signingSecret: installation.signingSecret };
    await deps.deliveries.enqueue(
      handlers.map((b) => ({ ...deliveryFor(b, 'ONAPPUNINSTALL', 0, uninstallEventData(), Math.floor(now / 1000)), uninstalled })),
    );
    event = 'queued';
  }
  return { bindings_removed: bindings.length, records_removed: records, credentials_removed: credentials, uninstall_event: event };
}

export async function listInstallations(deps: Pick<InstallationDeps, 'registry'>, memberId?: string): Promise<Record<string, unknown>[]> {
  const installations = (await deps.registry.listInstallations(memberId)).filter((i) => i.kind !== 'webhook');
  return installations.map((i) => ({
    member_id: i.memberId,
    domain: i.domain,
    client_id: i.clientId,
    status: i.status,
    scope: i.scopes.join(','),
    handler_hosts: i.handlerHosts,
    installer_user_id: i.installerUserId,
    users: Object.keys(i.webhooks).map(Number),
    connectors: i.connectors,
    installed_at: new Date(i.installedAt).toISOString(),
  }));
}
