import { randomBytes } from 'node:crypto';
import { checkHandlerUrl } from '../domain/bindings';
import type { EventCatalog } from '../domain/catalog';
import { newShortSecret } from '../domain/credentials';
import { newSigningSecret } from '../domain/delivery';
import { errors } from '../domain/errors';
import type { Installation } from '../domain/model';
import type { BindingStore, RegistryStore } from '../domain/ports';

/**
 * Outgoing webhooks (docs/delivery.md): an operator subscribes a URL to events of a portal without
 * any application. A webhook is an installation of kind `webhook` (client id
 * `webhook.<12 hex>`) with its own application token and signing secret and one online
 * binding per event, so publish, the queue, the worker, handler health and the address guard
 * treat it like any handler. Its deliveries carry no tokens and no status.
 */
export interface WebhookDeps {
  registry: RegistryStore;
  bindings: BindingStore;
  catalog: EventCatalog;
}

export async function addWebhook(deps: WebhookDeps, request: { memberId: string; events: string[]; handler: string }, now: number): Promise<Record<string, unknown>> {
  const portal = await deps.registry.getPortal(request.memberId);
  if (!portal) throw errors.badRequest(`Unknown portal ${request.memberId}: install an application on it first`);
  const events = [...new Set(request.events.map((e) => e.toUpperCase()))];
  if (events.length === 0) throw errors.badRequest('At least one event is required');
  for (const event of events) if (deps.catalog.scopeOf(event) === undefined) throw errors.badRequest(`Event ${event} is not in the event catalog`);
  checkHandlerUrl(request.handler, []);

  const installation: Installation = {
    kind: 'webhook',
    memberId: request.memberId,
    clientId: `webhook.${randomBytes(6).toString('hex')}`,
    domain: portal.domain,
    applicationToken: newShortSecret(),
    scopes: [],
    status: 'L',
    handlerHosts: [],
    installerUserId: 0,
    generation: newShortSecret(),
    connectors: [],
    webhooks: {},
    admins: [],
    signingSecret: newSigningSecret(),
    installedAt: now,
  };
  await deps.registry.putInstallation(installation);
  for (const event of events) {
    await deps.bindings.create({ memberId: request.memberId, clientId: installation.clientId, event, offline: false, handler: request.handler, userId: 0, connector: '', options: {} }, now);
  }
  return describe(installation, events, request.handler);
}

export async function listWebhooks(deps: Pick<WebhookDeps, 'registry' | 'bindings'>, memberId?: string): Promise<Record<string, unknown>[]> {
  const hooks = (await deps.registry.listInstallations(memberId)).filter((i) => i.kind === 'webhook');
  return Promise.all(
    hooks.map(async (hook) => {
      const bindings = await deps.bindings.listByApplication(hook.memberId, hook.clientId);
      return describe(hook, bindings.map((b) => b.event), bindings[0]?.handler ?? '');
    }),
  );
}

export async function removeWebhook(deps: Pick<WebhookDeps, 'registry' | 'bindings'>, memberId: string, webhookId: string): Promise<Record<string, number>> {
  const hook = await deps.registry.getInstallation(memberId, webhookId);
  if (!hook || hook.kind !== 'webhook') throw errors.badRequest(`No webhook ${webhookId} on portal ${memberId}`);
  const bindings = await deps.bindings.listByApplication(memberId, webhookId);
  await Promise.all(bindings.map((b) => deps.bindings.delete(b)));
  await deps.registry.deleteInstallation(memberId, webhookId);
  return { bindings_removed: bindings.length };
}

function describe(hook: Installation, events: string[], handler: string): Record<string, unknown> {
  return {
    webhook_id: hook.clientId,
    member_id: hook.memberId,
    events,
    handler,
    application_token: hook.applicationToken,
    webhook_signing_secret: hook.signingSecret,
    created_at: new Date(hook.installedAt).toISOString(),
  };
}
