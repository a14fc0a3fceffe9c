import { planBinding, visibleBindings, unbindMatcher, type BindRequest, type UnbindRequest } from '../domain/bindings';
import type { EventCatalog } from '../domain/catalog';
import type { Binding, Caller } from '../domain/model';
import { switchedOff } from '../domain/handler-health';
import type { BindingStore, DeliveryLog, RegistryStore } from '../domain/ports';

export interface BindingDeps {
  bindings: BindingStore;
  registry: RegistryStore;
  catalog: EventCatalog;
  /** Handler health: binding a switched-off handler again switches it on (docs/delivery.md "Dead handlers"). */
  log?: DeliveryLog;
}

/** `events`: the catalog as this application sees it. */
export function listEvents(deps: Pick<BindingDeps, 'catalog'>, caller: Caller, options: { scope?: string; full?: boolean }): string[] {
  return deps.catalog.list({ ...options, grantedScopes: caller.installation.scopes });
}

/**
 * `event.bind`.
 * 1. Check every binding rule (domain/bindings.ts).
 * 2. For an offline binding or a fallback, remember its connector on the installation (uninstall needs it).
 * 3. Store the binding, created at `now`; a duplicate is `ERROR_CORE`.
 * 4. An online handler switched off for this application is switched back on.
 * `now` defaults to the clock only until the event.bind entry passes its request time (docs/adapters.md).
 */
export async function bind(deps: BindingDeps, caller: Caller, request: BindRequest, now: number): Promise<true> {
  const binding = planBinding(caller, request, deps.catalog);
  // A fallback journals into the binding's queue too (docs/delivery.md), which uninstall must find.
  if ((binding.offline || binding.options.fallback) && !caller.installation.connectors.includes(binding.connector)) {
    await deps.registry.addConnector(caller.memberId, caller.clientId, binding.connector);
  }
  await deps.bindings.create(binding, now);
  if (!binding.offline && deps.log) await switchOnAgain(deps.log, binding.handler, caller, now);
  return true;
}

async function switchOnAgain(log: DeliveryLog, handler: string, caller: Caller, now: number): Promise<void> {
  if (switchedOff(await log.getHealth(handler), caller.memberId, caller.clientId)) await log.switchOn(handler, caller.memberId, caller.clientId, now);
}

/**
 * `event.unbind`.
 * 1. Work out which bindings the caller may remove (domain/bindings.ts).
 * 2. Read the portal's bindings of the event, keep this application's matching ones.
 * 3. Delete them; answer how many.
 */
export async function unbind(deps: BindingDeps, caller: Caller, request: UnbindRequest): Promise<{ count: number }> {
  const { event, matches } = unbindMatcher(caller, request);
  const own = (await deps.bindings.listByEvent(caller.memberId, event)).filter((b) => b.clientId === caller.clientId);
  const doomed = own.filter(matches);
  await Promise.all(doomed.map((b) => deps.bindings.delete(b)));
  return { count: doomed.length };
}

/** `event.get`: the application's bindings in creation order. */
export async function getBindings(deps: Pick<BindingDeps, 'bindings'>, caller: Caller): Promise<Binding[]> {
  const bindings = await deps.bindings.listByApplication(caller.memberId, caller.clientId);
  return visibleBindings(caller, bindings);
}
