import { hashSecret, newToken } from '../domain/credentials';
import { errors } from '../domain/errors';
import { idTime } from '../domain/ids';
import { switchedOff, type HandlerHealth, type SwitchOff } from '../domain/handler-health';
import type { Binding, Credential, Installation } from '../domain/model';
import type { BindingStore, DeadLetterQueue, DeliveryAttempt, DeliveryLog, JournalStore, ParkedDelivery, RegistryStore } from '../domain/ports';

/**
 * The web console (docs/console.md): operator credential, sessions, application links and the
 * operator-wide reads the REST methods do not offer. Every secret (operator credential, session,
 * link) is a random token stored under its SHA-256, as every other credential
 * (domain/credentials.ts); the REST authentication refuses these kinds.
 */
export type ConsoleScope = { role: 'operator' } | { role: 'application'; memberId: string; clientId: string };

export interface ConsoleDeps {
  registry: RegistryStore;
  bindings: BindingStore;
  journal: JournalStore;
  deliveryLog: DeliveryLog;
}

const OPERATOR_GENERATION = 'console';

function consoleCredential(kind: Credential['kind'], scope: ConsoleScope, expiresAt?: number): Credential {
  return {
    kind,
    memberId: scope.role === 'application' ? scope.memberId : '',
    clientId: scope.role === 'application' ? scope.clientId : '',
    userId: 0,
    admin: scope.role === 'operator',
    generation: OPERATOR_GENERATION,
    ...(expiresAt !== undefined ? { expiresAt } : {}),
  };
}

/** A new operator credential (admin CLI); printed once, stored hashed. */
export async function createOperatorCredential(registry: RegistryStore): Promise<string> {
  const secret = `op_${newToken()}`;
  await registry.putCredential(hashSecret(secret), consoleCredential('operator', { role: 'operator' }));
  return secret;
}

export async function revokeOperatorCredential(registry: RegistryStore, secret: string): Promise<boolean> {
  const hash = hashSecret(secret);
  const found = await registry.getCredential(hash);
  if (found?.kind !== 'operator') return false;
  await registry.deleteCredential(hash);
  return true;
}

/** A short-lived link token for one installation (admin CLI `console-link`). */
export async function createApplicationLink(registry: RegistryStore, memberId: string, clientId: string, ttlSeconds: number, now: number): Promise<{ token: string; expiresAt: number }> {
  const installation = await registry.getInstallation(memberId, clientId);
  if (!installation) throw errors.argument('CLIENT_ID', `Application ${clientId} is not installed on portal ${memberId}`);
  const token = `ln_${newToken()}`;
  const expiresAt = Math.floor(now / 1000) + ttlSeconds;
  await registry.putCredential(hashSecret(token), consoleCredential('console-link', { role: 'application', memberId, clientId }, expiresAt));
  return { token, expiresAt };
}

async function newSession(registry: RegistryStore, scope: ConsoleScope, ttlSeconds: number, now: number): Promise<{ token: string; expiresAt: number }> {
  const token = newToken();
  const expiresAt = Math.floor(now / 1000) + ttlSeconds;
  await registry.putCredential(hashSecret(token), consoleCredential('console-session', scope, expiresAt));
  return { token, expiresAt };
}

const denied = () => errors.accessDenied('Wrong or expired console credential');

/** Operator sign-in: the credential the admin CLI printed → a session. */
export async function signIn(registry: RegistryStore, secret: string, ttlSeconds: number, now: number): Promise<{ token: string; expiresAt: number }> {
  const credential = secret.length > 0 && secret.length <= 200 ? await registry.getCredential(hashSecret(secret)) : undefined;
  if (credential?.kind !== 'operator') throw denied();
  return newSession(registry, { role: 'operator' }, ttlSeconds, now);
}

/** Application link → a session limited to that installation (never longer than the link lives). */
export async function openLink(registry: RegistryStore, token: string, ttlSeconds: number, now: number): Promise<{ token: string; expiresAt: number }> {
  const credential = token.length > 0 && token.length <= 200 ? await registry.getCredential(hashSecret(token)) : undefined;
  if (credential?.kind !== 'console-link' || (credential.expiresAt ?? 0) * 1000 <= now) throw denied();
  const ttl = Math.min(ttlSeconds, (credential.expiresAt ?? 0) - Math.floor(now / 1000));
  return newSession(registry, { role: 'application', memberId: credential.memberId, clientId: credential.clientId }, ttl, now);
}

export async function sessionScope(registry: RegistryStore, token: string | undefined, now: number): Promise<ConsoleScope | undefined> {
  if (!token || !/^[0-9a-f]{64}$/.test(token)) return undefined;
  const credential = await registry.getCredential(hashSecret(token));
  if (credential?.kind !== 'console-session' || (credential.expiresAt ?? 0) * 1000 <= now) return undefined;
  return credential.admin ? { role: 'operator' } : { role: 'application', memberId: credential.memberId, clientId: credential.clientId };
}

export async function signOut(registry: RegistryStore, token: string): Promise<void> {
  if (/^[0-9a-f]{64}$/.test(token)) await registry.deleteCredential(hashSecret(token));
}

/** Installations the scope may see, optionally narrowed by portal/application; another application's ids are refused. */
export async function visibleInstallations(registry: RegistryStore, scope: ConsoleScope, memberId?: string, clientId?: string): Promise<Installation[]> {
  if (scope.role === 'application') {
    if ((memberId !== undefined && memberId !== scope.memberId) || (clientId !== undefined && clientId !== scope.clientId)) {
      throw errors.accessDenied('This console link is limited to one application on one portal');
    }
    const own = await registry.getInstallation(scope.memberId, scope.clientId);
    return own ? [own] : [];
  }
  const all = await registry.listInstallations(memberId);
  return all.filter((i) => clientId === undefined || i.clientId === clientId);
}

export interface BindingView extends Pick<Binding, 'memberId' | 'clientId' | 'id' | 'event' | 'offline' | 'handler' | 'connector'> {
  health?: { latencyMs: number; failures: number; state: 'healthy' | 'slow' | 'failing' };
  /** Switched off for this application (docs/delivery.md "Dead handlers"): event.delivery.enable switches it on. */
  switchedOff?: SwitchOff;
}

export async function listBindingViews(deps: ConsoleDeps, installations: Installation[]): Promise<BindingView[]> {
  const out: BindingView[] = [];
  const healthOf = new Map<string, Promise<HandlerHealth>>();
  for (const installation of installations) {
    for (const b of await deps.bindings.listByApplication(installation.memberId, installation.clientId)) {
      let health: BindingView['health'];
      let off: SwitchOff | undefined;
      if (!b.offline && b.handler) {
        if (!healthOf.has(b.handler)) healthOf.set(b.handler, deps.deliveryLog.getHealth(b.handler));
        const h = await healthOf.get(b.handler)!;
        health = { latencyMs: h.latencyMs, failures: h.failures, state: h.failures > 0 ? 'failing' : h.latencyMs > 2000 ? 'slow' : 'healthy' };
        off = switchedOff(h, b.memberId, b.clientId);
      }
      out.push({
        memberId: b.memberId,
        clientId: b.clientId,
        id: b.id,
        event: b.event,
        offline: b.offline,
        handler: b.handler,
        connector: b.connector,
        ...(health ? { health } : {}),
        ...(off ? { switchedOff: off } : {}),
      });
    }
  }
  return out;
}

export interface QueueView {
  memberId: string;
  clientId: string;
  connector: string;
  pending: number;
  exact: boolean;
  errors: number;
  /** Unix ms of the oldest pending record (its ID's allocation time). */
  oldestAt?: number;
}

const FIGURE_CAP = 10_000;

export async function listQueueViews(journal: JournalStore, installations: Installation[]): Promise<QueueView[]> {
  const out: QueueView[] = [];
  for (const i of installations) {
    // The default connector ('') holds the queue of bindings without auth_connector.
    for (const connector of new Set(['', ...i.connectors])) {
      const queue = { memberId: i.memberId, clientId: i.clientId, connector };
      const [normal, failed] = await Promise.all([journal.pendingFigures(queue, false, FIGURE_CAP), journal.pendingFigures(queue, true, FIGURE_CAP)]);
      if (normal.pending === 0 && failed.pending === 0 && connector !== '') continue;
      out.push({ ...queue, pending: normal.pending, exact: normal.exact && failed.exact, errors: failed.pending, ...(normal.oldestId !== undefined ? { oldestAt: idTime(normal.oldestId) } : {}) });
    }
  }
  return out;
}

export interface AttemptFilter {
  event?: string;
  status?: 'ok' | 'failed';
  since?: number;
  limit: number;
}

export async function listDeliveryAttempts(log: DeliveryLog, installations: Installation[], filter: AttemptFilter): Promise<DeliveryAttempt[]> {
  const out: DeliveryAttempt[] = [];
  for (const i of installations) {
    for (const a of await log.listAttempts(i.memberId, i.clientId, filter.limit)) {
      if (filter.event && a.event !== filter.event) continue;
      if (filter.status === 'ok' && !a.ok) continue;
      if (filter.status === 'failed' && a.ok) continue;
      if (filter.since !== undefined && a.at < filter.since) continue;
      out.push(a);
    }
  }
  return out.sort((a, b) => b.at - a.at).slice(0, filter.limit);
}

export interface Overview {
  deliveries: { hour: { ok: number; failed: number }; day: { ok: number; failed: number } };
  /** Attempts per 10-minute bucket over the last day, oldest first: [bucket start ms, ok, failed]. */
  series: [number, number, number][];
  latency: { p50: number; p99: number; samples: number };
  backlog: { pending: number; exact: boolean; oldestAt?: number; queues: number };
  installations: number;
  portals: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Figures from the attempt log and the journal's own counts: no write per event (docs/console.md, "Cost"). */
export async function overview(deps: ConsoleDeps, installations: Installation[], now: number, attemptsPerApplication: number): Promise<Overview> {
  const dayAgo = now - 24 * 3600_000;
  const hourAgo = now - 3600_000;
  const attempts = await listDeliveryAttempts(deps.deliveryLog, installations, { since: dayAgo, limit: attemptsPerApplication * Math.max(1, installations.length) });
  const bucketMs = 10 * 60_000;
  const first = Math.floor(dayAgo / bucketMs) * bucketMs;
  const series: [number, number, number][] = [];
  for (let t = first; t <= now; t += bucketMs) series.push([t, 0, 0]);
  const result: Overview['deliveries'] = { hour: { ok: 0, failed: 0 }, day: { ok: 0, failed: 0 } };
  const latencies: number[] = [];
  for (const a of attempts) {
    const key = a.ok ? 'ok' : 'failed';
    result.day[key]++;
    if (a.at >= hourAgo) result.hour[key]++;
    const bucket = series[Math.floor((a.at - first) / bucketMs)];
    if (bucket) bucket[a.ok ? 1 : 2]++;
    if (a.ok) latencies.push(a.latencyMs);
  }
  latencies.sort((x, y) => x - y);
  const queues = await listQueueViews(deps.journal, installations);
  const oldest = queues.map((q) => q.oldestAt).filter((at): at is number => at !== undefined);
  return {
    deliveries: result,
    series,
    latency: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), samples: latencies.length },
    backlog: {
      pending: queues.reduce((s, q) => s + q.pending, 0),
      exact: queues.every((q) => q.exact),
      ...(oldest.length > 0 ? { oldestAt: Math.min(...oldest) } : {}),
      queues: queues.filter((q) => q.pending > 0).length,
    },
    installations: installations.length,
    portals: new Set(installations.map((i) => i.memberId)).size,
  };
}

/** Messages the dead-letter page shows at most. */
export const DLQ_PAGE = 100;

/** The dead-letter queue for the operator: its depth and up to DLQ_PAGE messages (not consumed). */
export async function deadLetters(dlq: DeadLetterQueue, scope: ConsoleScope): Promise<{ depth: number; messages: ParkedDelivery[] }> {
  if (scope.role !== 'operator') throw errors.accessDenied('The dead-letter queue is for the operator');
  const [depth, messages] = await Promise.all([dlq.depth(), dlq.peek(DLQ_PAGE)]);
  return { depth: Math.max(depth, messages.length), messages };
}

/** Moves parked deliveries back to the delivery queue: the chosen message ids, or all. */
export async function redriveDeadLetters(dlq: DeadLetterQueue, scope: ConsoleScope, ids?: readonly string[]): Promise<{ redriven: string[] }> {
  if (scope.role !== 'operator') throw errors.accessDenied('The dead-letter queue is for the operator');
  if (ids && ids.length === 0) return { redriven: [] };
  return { redriven: await dlq.redrive(ids) };
}
