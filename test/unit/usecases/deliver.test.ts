import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { hashSecret } from '../../../lambdas/domain/credentials';
import type { DeliveryAttempt, DeliveryMessage } from '../../../lambdas/domain/ports';
import { deliver, type DeliveryDeps, type DeliverySettings } from '../../../lambdas/usecases/deliver';
import { DeliveryMemory } from '../../../lambdas/usecases/delivery-memory';
import { uninstall } from '../../../lambdas/usecases/installations';
import { installationDeps, installApp, PUBLIC_URL, type InstalledApp } from '../../support/memory/apps';
import { memoryPorts, type Answer, type MemoryPorts } from '../../support/memory';

/** The delivery worker's use case (docs/delivery.md) with a scripted handler: retries, deferral, drop. */

const HANDLER = 'https://handler.example.com/events';
const SETTINGS: DeliverySettings = { publicUrl: PUBLIC_URL, accessTokenTtl: 3600, refreshTokenTtl: 86400, timeoutMs: 10_000, retries: 0, retryBaseSeconds: 30, format: 'form', knownForMs: 5000 };

async function setUp(settings: Partial<DeliverySettings> = {}, start?: number): Promise<{ ports: MemoryPorts; app: InstalledApp; deps: DeliveryDeps; message: (over?: Partial<DeliveryMessage>) => DeliveryMessage }> {
  const ports = memoryPorts(start !== undefined ? { start } : {});
  const app = await installApp(ports);
  ports.deliveries.drain();
  // Bindings 1 to 8 of ONCRMDEALADD to the handler (one per user, so each is its own binding).
  for (let userId = 1; userId <= 8; userId++) {
    await ports.bindings.create({ memberId: app.memberId, clientId: app.clientId, event: 'ONCRMDEALADD', offline: false, handler: HANDLER, userId, connector: '', options: {} }, ports.clock.current);
  }
  const full = { ...SETTINGS, ...settings };
  const deps: DeliveryDeps = { registry: ports.registry, bindings: ports.bindings, log: ports.log, sender: ports.sender, queue: ports.deliveries, settings: full, memory: new DeliveryMemory(full) };
  const message = (over: Partial<DeliveryMessage> = {}): DeliveryMessage => ({
    memberId: app.memberId,
    clientId: app.clientId,
    bindingId: 7,
    event: 'ONCRMDEALADD',
    handler: HANDLER,
    userId: 1,
    data: { FIELDS: { ID: 42 } },
    ts: Math.floor(ports.clock.current / 1000),
    ...over,
  });
  return { ports, app, deps, message };
}

const form = (body: string) => new URLSearchParams(body);

describe('deliver', () => {
  it('POSTs the Bitrix payload with fresh tokens for the user, and records the attempt', async () => {
    // Arrange
    const { ports, app, deps, message } = await setUp();

    // Act
    const outcome = await deliver(deps, message({ deliveryId: 'msg_1' }), ports.clock.current);

    // Assert
    expect(outcome).toEqual({ kind: 'delivered', status: 200, latencyMs: 20 });
    const [sent] = ports.sender.sent;
    const body = form(sent!.body);
    expect(sent!.url).toBe(HANDLER);
    expect(sent!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect([body.get('event'), body.get('event_handler_id'), body.get('data[FIELDS][ID]'), body.get('auth[member_id]'), body.get('auth[application_token]')]).toEqual([
      'ONCRMDEALADD', '7', '42', app.memberId, app.install.application_token,
    ]);
    expect(body.get('auth[refresh_token]')).toBeNull();
    const credential = await ports.registry.getCredential(hashSecret(body.get('auth[access_token]')!));
    expect(credential).toMatchObject({ kind: 'access', memberId: app.memberId, clientId: app.clientId, userId: 1 });
    expect(sent!.headers['webhook-id']).toBe('msg_1');
    expect(ports.log.attempts).toEqual([expect.objectContaining({ deliveryId: 'msg_1', attempt: 1, status: 200, ok: true, latencyMs: 20, at: ports.clock.current })]);
    // A fast, healthy handler costs no health write.
    expect(ports.log.health.size).toBe(0);
  });

  it('sends JSON when the binding asks for it, signed with the application’s key, and no tokens without a user', async () => {
    // The real clock, so the Standard Webhooks library accepts the signature's timestamp.
    const { ports, app, deps, message } = await setUp({}, Date.now());
    await deliver(deps, message({ format: 'json', userId: 0 }), ports.clock.current);
    const [sent] = ports.sender.sent;
    expect(sent!.headers['content-type']).toBe('application/json');
    const payload = new Webhook(app.install.webhook_signing_secret as string).verify(sent!.body, sent!.headers) as { data: unknown; auth: Record<string, unknown> };
    expect(payload.data).toEqual({ FIELDS: { ID: 42 } });
    expect(payload.auth).not.toHaveProperty('access_token');
  });

  it('without retries configured (Bitrix24’s behaviour) a failure is recorded and not sent again', async () => {
    const { ports, deps, message } = await setUp({ retries: 0 });
    ports.sender.script(HANDLER, { status: 500 });

    const outcome = await deliver(deps, message(), ports.clock.current);

    expect(outcome).toEqual({ kind: 'failed', status: 500, error: 'HTTP 500' });
    expect(ports.deliveries.queued).toEqual([]);
    expect(ports.deliveries.parked).toEqual([]);
    expect(ports.log.attempts).toEqual([expect.objectContaining({ ok: false, status: 500, error: 'HTTP 500' })]);
  });

  it('retries a failure with doubling delays under one delivery id, then parks it', async () => {
    // Arrange
    const { ports, deps, message } = await setUp({ retries: 3, retryBaseSeconds: 30 });
    ports.sender.script(HANDLER, { status: 500 }, { timeout: true }, { status: 503 }, { status: 502 });
    const outcomes = [];

    // Act: what the queue hands back, at the time it hands it back.
    let next: DeliveryMessage | undefined = message();
    while (next) {
      outcomes.push(await deliver(deps, next, ports.clock.current));
      const [queued] = ports.deliveries.drain();
      if (queued) ports.clock.advance(queued.delaySeconds * 1000);
      next = queued?.message;
    }

    // Assert
    expect(outcomes).toEqual([
      { kind: 'failed', status: 500, error: 'HTTP 500', retryInSeconds: 30 },
      { kind: 'failed', status: 0, error: 'timed out after 10000 ms', retryInSeconds: 60 },
      { kind: 'failed', status: 503, error: 'HTTP 503', retryInSeconds: 120 },
      { kind: 'failed', status: 502, error: 'HTTP 502', parked: true },
    ]);
    const ids = new Set(ports.log.attempts.map((a) => a.deliveryId));
    expect(ids.size).toBe(1);
    expect(ports.log.attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
    expect(ports.deliveries.parked).toEqual([{ message: expect.objectContaining({ attempt: 4, deliveryId: [...ids][0] }), reason: '4 attempts failed; last: HTTP 502' }]);
  });

  it('a failing handler waits its turn: a delivery that comes too soon goes back to the queue unsent', async () => {
    const { ports, deps, message } = await setUp();
    ports.sender.script(HANDLER, { timeout: true }, { status: 200 });
    await deliver(deps, message(), ports.clock.current);
    const health = await ports.log.getHealth(HANDLER);
    expect(health).toMatchObject({ failures: 1, latencyMs: 10_000 });

    const soon = await deliver(deps, message({ bindingId: 8 }), ports.clock.current + 100);

    expect(soon).toEqual({ kind: 'deferred', waitSeconds: Math.ceil((health.nextAt - ports.clock.current - 100) / 1000) });
    expect(ports.sender.sent).toHaveLength(1);
    expect(ports.deliveries.queued).toEqual([{ message: expect.objectContaining({ bindingId: 8 }), delaySeconds: soon.kind === 'deferred' ? soon.waitSeconds : -1 }]);
  });

  it('a slow handler is called at most once per its spacing: of parallel workers one calls, the others defer', async () => {
    // Arrange: a handler that answers in 5 s is slow (over 2 s): spaced at four times its latency.
    const { ports, deps, message } = await setUp();
    ports.sender.script(HANDLER, { status: 200, latencyMs: 5000 });
    await deliver(deps, message(), ports.clock.current);
    const { nextAt } = await ports.log.getHealth(HANDLER);
    expect(nextAt).toBe(ports.clock.current + 5000 + 20_000);

    // Act: three workers at once, once the spacing has passed.
    const outcomes = await Promise.all([1, 2, 3].map((bindingId) => deliver(deps, message({ bindingId }), nextAt)));

    // Assert
    expect(outcomes.filter((o) => o.kind === 'delivered')).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === 'deferred')).toEqual([{ kind: 'deferred', waitSeconds: 20 }, { kind: 'deferred', waitSeconds: 20 }]);
    expect(ports.sender.sent).toHaveLength(2);
    expect(ports.deliveries.queued.map((q) => q.delaySeconds)).toEqual([20, 20]);
  });

  it('a handler that recovers is called freely again', async () => {
    const { ports, deps, message } = await setUp();
    ports.sender.script(HANDLER, { status: 500 }, { status: 200, latencyMs: 50 });
    await deliver(deps, message(), ports.clock.current);
    const { nextAt } = await ports.log.getHealth(HANDLER);

    await deliver(deps, message(), nextAt);
    const after = await Promise.all([1, 2].map((bindingId) => deliver(deps, message({ bindingId }), nextAt + 1)));

    expect((await ports.log.getHealth(HANDLER)).failures).toBe(0);
    expect(after.map((o) => o.kind)).toEqual(['delivered', 'delivered']);
  });

  it('drops a delivery of an application that is no longer installed, without calling the handler', async () => {
    const { ports, app, deps, message } = await setUp();
    await uninstall(installationDeps(ports), app.memberId, app.clientId, ports.clock.current);

    expect(await deliver(deps, message(), ports.clock.current)).toEqual({ kind: 'dropped', reason: 'the application is no longer installed' });
    expect(ports.sender.sent).toEqual([]);
  });

  it('sends ONAPPUNINSTALL after the installation is gone, from what the message carries, without tokens', async () => {
    const { ports, app, deps } = await setUp();
    await ports.bindings.create({ memberId: app.memberId, clientId: app.clientId, event: 'ONAPPUNINSTALL', offline: false, handler: HANDLER, userId: 0, connector: '', options: {} }, ports.clock.current);
    await uninstall(installationDeps(ports), app.memberId, app.clientId, ports.clock.current);
    const [queued] = ports.deliveries.drain();

    const outcome = await deliver(deps, queued!.message, ports.clock.current);

    expect(outcome.kind).toBe('delivered');
    const body = form(ports.sender.sent[0]!.body);
    expect([body.get('event'), body.get('data[CLEAN]'), body.get('auth[application_token]'), body.get('auth[access_token]')]).toEqual(['ONAPPUNINSTALL', '1', app.install.application_token, null]);
  });

  it('property: a delivery is sent until the first 2xx, at most 1 + retries times, and parked only when retries ran out', async () => {
    const answers = fc.array(fc.constantFrom<Answer>({ status: 200 }, { status: 204 }, { status: 500 }, { status: 404 }, { timeout: true }, { status: 302 }), { minLength: 1, maxLength: 6 });
    await fc.assert(
      fc.asyncProperty(answers, fc.integer({ min: 0, max: 4 }), async (script, retries) => {
        const { ports, deps, message } = await setUp({ retries, retryBaseSeconds: 1 });
        ports.sender.script(HANDLER, ...script);
        let next: DeliveryMessage | undefined = message();
        for (let round = 0; next && round < 100; round++) {
          await deliver(deps, next, ports.clock.current);
          const [queued] = ports.deliveries.drain();
          ports.clock.advance((queued?.delaySeconds ?? 0) * 1000);
          next = queued?.message;
        }
        const ok = (a: Answer) => 'status' in a && a.status >= 200 && a.status < 300;
        const firstOk = script.findIndex(ok);
        const lastRepeats = ok(script[script.length - 1]!);
        const succeedsAt = firstOk >= 0 ? firstOk : lastRepeats ? script.length - 1 : Infinity;
        const expectedPosts = Math.min(succeedsAt + 1, retries + 1);
        expect(ports.sender.sent).toHaveLength(expectedPosts);
        expect(ports.log.attempts.map((a) => a.attempt)).toEqual(Array.from({ length: expectedPosts }, (_, i) => i + 1));
        expect(new Set(ports.log.attempts.map((a) => a.deliveryId)).size).toBe(1);
        expect(ports.deliveries.parked).toHaveLength(succeedsAt > retries && retries > 0 ? 1 : 0);
      }),
      { numRuns: 60 },
    );
  });
});

/** Counts the calls of each method of a port (the reads the worker's memory saves). */
function counted<T extends object>(port: T): { port: T; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const proxy = new Proxy(port, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function' || typeof name !== 'string') return value;
      return (...args: unknown[]) => {
        calls[name] = (calls[name] ?? 0) + 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { port: proxy, calls };
}

describe('what the worker keeps in memory (DELIVERY_CACHE_SECONDS, tokens)', () => {
  it('hands a user’s access token out again with expires_in counting down, minting once per half lifetime', async () => {
    // Arrange
    const { ports, app, deps, message } = await setUp({ accessTokenTtl: 3600 });
    const credentialsBefore = ports.registry.credentials.size;
    const t0 = ports.clock.current;

    // Act: deliveries for user 1 at 0 s, 100 s and 1799 s (all within the first half), then at 1800 s; one for user 2.
    for (const after of [0, 100, 1799, 1800]) await deliver(deps, message(), t0 + after * 1000);
    await deliver(deps, message({ userId: 2, bindingId: 2 }), t0 + 1800 * 1000);

    // Assert
    const bodies = ports.sender.sent.map((s) => form(s.body));
    const [first, second, third, fourth, other] = bodies.map((b) => ({ token: b.get('auth[access_token]'), expires: Number(b.get('auth[expires]')), expiresIn: Number(b.get('auth[expires_in]')) }));
    const nowS = Math.floor(t0 / 1000);
    expect([first, second, third]).toEqual([
      { token: first!.token, expires: nowS + 3600, expiresIn: 3600 },
      { token: first!.token, expires: nowS + 3600, expiresIn: 3500 },
      { token: first!.token, expires: nowS + 3600, expiresIn: 1801 },
    ]);
    expect(fourth).toEqual({ token: expect.not.stringMatching(first!.token!), expires: nowS + 1800 + 3600, expiresIn: 3600 });
    expect(other!.token).not.toBe(fourth!.token);
    // Three mints for five deliveries, and every token handed out works for its user.
    expect(ports.registry.credentials.size - credentialsBefore).toBe(3);
    expect(await ports.registry.getCredential(hashSecret(first!.token!))).toMatchObject({ kind: 'access', userId: 1, memberId: app.memberId });
    expect(await ports.registry.getCredential(hashSecret(other!.token!))).toMatchObject({ kind: 'access', userId: 2 });
  });

  it('mints a fresh pair for every event that carries a refresh token (a refresh token works once)', async () => {
    const { ports, app, deps, message } = await setUp();
    const test = await ports.bindings.create({ memberId: app.memberId, clientId: app.clientId, event: 'ONAPPTEST', offline: false, handler: HANDLER, userId: 1, connector: '', options: {} }, ports.clock.current);

    for (let i = 0; i < 2; i++) await deliver(deps, message({ event: 'ONAPPTEST', bindingId: test.id }), ports.clock.current + i);

    const [a, b] = ports.sender.sent.map((s) => form(s.body));
    expect(a!.get('auth[refresh_token]')).toEqual(expect.any(String));
    expect([b!.get('auth[access_token]'), b!.get('auth[refresh_token]')]).not.toContain(a!.get('auth[access_token]'));
    expect(b!.get('auth[refresh_token]')).not.toBe(a!.get('auth[refresh_token]'));
  });

  it('reads installation, handler health and bindings once per bound, however many deliveries', async () => {
    // Arrange
    const { ports, deps, message } = await setUp({ knownForMs: 5000 });
    const registry = counted(ports.registry);
    const log = counted(ports.log);
    const bindings = counted(ports.bindings);
    const watched: DeliveryDeps = { ...deps, registry: registry.port, log: log.port, bindings: bindings.port };
    const t0 = ports.clock.current;

    // Act: 50 deliveries within the bound (in parallel, as a batch), 50 more after it.
    await Promise.all(Array.from({ length: 50 }, (_, i) => deliver(watched, message({ bindingId: 1 + (i % 8), ts: Math.floor(t0 / 1000) - 10 }), t0 + i)));
    await Promise.all(Array.from({ length: 50 }, (_, i) => deliver(watched, message({ bindingId: 1 + (i % 8), ts: Math.floor(t0 / 1000) - 10 }), t0 + 5000 + i)));

    // Assert
    expect(ports.sender.sent).toHaveLength(100);
    expect([registry.calls.getPortal, registry.calls.getInstallation, log.calls.getHealth, bindings.calls.listByEvent]).toEqual([2, 2, 2, 2]);
    // One token mint (one user); no health write for a fast, healthy handler.
    expect([registry.calls.putCredential, log.calls.putHealth]).toEqual([1, undefined]);
  });

  it('an uninstalled application is not delivered to once the bound has passed', async () => {
    // Arrange: the worker knows the installation; then the operator uninstalls.
    const { ports, app, deps, message } = await setUp({ knownForMs: 5000 });
    const t0 = ports.clock.current;
    await deliver(deps, message(), t0);
    await uninstall(installationDeps(ports), app.memberId, app.clientId, t0 + 1);

    // Act
    const within = await deliver(deps, message(), t0 + 4999);
    const after = await deliver(deps, message(), t0 + 5000);

    // Assert: within the bound the worker may still use what it knew; from the bound on, never.
    expect(within.kind).toBe('delivered');
    expect(after).toEqual({ kind: 'dropped', reason: 'the application is no longer installed' });
    expect(ports.sender.sent).toHaveLength(2);
  });

  it('two applications bound to the same event on one portal: what the worker keeps of one never drops the other (a backlog of older events)', async () => {
    // Arrange: a second application on the same portal, bound to the same event.
    const { ports, app, deps, message } = await setUp({ knownForMs: 5000 });
    const other = await installApp(ports, { memberId: app.memberId });
    const theirs = await ports.bindings.create({ memberId: app.memberId, clientId: other.clientId, event: 'ONCRMDEALADD', offline: false, handler: HANDLER, userId: 1, connector: '', options: {} }, ports.clock.current);
    const old = Math.floor(ports.clock.current / 1000) - 60;
    // Act: the first application's delivery, then the other's, both of events published a minute ago.
    const first = await deliver(deps, message({ ts: old }), ports.clock.current);
    const second = await deliver(deps, message({ clientId: other.clientId, bindingId: theirs.id, ts: old }), ports.clock.current);
    // Assert
    expect(first.kind).toBe('delivered');
    expect(second.kind).toBe('delivered');
  });

  it('with a bound of 0 every delivery reads afresh: the uninstall stops the next one', async () => {
    const { ports, app, deps, message } = await setUp({ knownForMs: 0 });
    await deliver(deps, message(), ports.clock.current);
    await uninstall(installationDeps(ports), app.memberId, app.clientId, ports.clock.current);
    expect(await deliver(deps, message(), ports.clock.current)).toEqual({ kind: 'dropped', reason: 'the application is no longer installed' });
  });

  it('a failing handler that is unbound stops being attempted once the bound has passed: its queued retries are dropped unsent', async () => {
    // Arrange: a handler failing every time, retries on; its binding is unbound after the first failure.
    const { ports, app, deps, message } = await setUp({ retries: 5, retryBaseSeconds: 1, knownForMs: 5000 });
    ports.sender.script(HANDLER, { status: 500 });
    const t0 = ports.clock.current;
    const bindings = counted(ports.bindings);
    const watched: DeliveryDeps = { ...deps, bindings: bindings.port };
    const first = await deliver(watched, message({ bindingId: 3, ts: Math.floor(t0 / 1000) }), t0);
    const [binding] = (await ports.bindings.listByApplication(app.memberId, app.clientId)).filter((b) => b.id === 3);
    await ports.bindings.delete(binding!);

    // Act: the retry comes back after its backoff, and after the bound; and 20 more queued deliveries to it.
    const [retry] = ports.deliveries.drain();
    const afterBound = await deliver(watched, retry!.message, t0 + 5000);
    const more = await Promise.all(Array.from({ length: 20 }, (_, i) => deliver(watched, message({ bindingId: 3, ts: Math.floor(t0 / 1000) }), t0 + 5001 + i)));

    // Assert
    expect(first).toMatchObject({ kind: 'failed', retryInSeconds: 1 });
    expect(afterBound).toEqual({ kind: 'dropped', reason: 'the binding no longer exists' });
    expect(new Set(more.map((o) => o.kind))).toEqual(new Set(['dropped']));
    expect(ports.sender.sent).toHaveLength(1);
    expect(ports.log.attempts).toHaveLength(1);
    expect(ports.deliveries.queued).toEqual([]);
    // The bindings were read once before the bound and once after: not per dropped delivery.
    expect(bindings.calls.listByEvent).toBe(2);
  });

  it('a binding made after the worker read the bindings is delivered to: a list older than the event is read again', async () => {
    const { ports, app, deps, message } = await setUp({ knownForMs: 5000 });
    const t0 = ports.clock.current;
    await deliver(deps, message({ bindingId: 1 }), t0);
    const added = await ports.bindings.create({ memberId: app.memberId, clientId: app.clientId, event: 'ONCRMDEALADD', offline: false, handler: HANDLER, userId: 99, connector: '', options: {} }, t0 + 1000);

    const outcome = await deliver(deps, message({ bindingId: added.id, ts: Math.floor((t0 + 1000) / 1000) }), t0 + 1500);

    expect(outcome.kind).toBe('delivered');
  });

  it('ONAPPINSTALL reads the installation afresh: a reinstall within the bound is announced with the new installation', async () => {
    const { ports, app, deps, message } = await setUp({ knownForMs: 5000 });
    const t0 = ports.clock.current;
    await deliver(deps, message(), t0);
    await uninstall(installationDeps(ports), app.memberId, app.clientId, t0 + 1);
    const again = await installApp(ports, { memberId: app.memberId, clientId: app.clientId });
    const installBinding = await ports.bindings.create({ memberId: app.memberId, clientId: app.clientId, event: 'ONAPPINSTALL', offline: false, handler: HANDLER, userId: 1, connector: '', options: {} }, t0 + 2);

    await deliver(deps, message({ event: 'ONAPPINSTALL', bindingId: installBinding.id, ts: Math.floor((t0 + 2) / 1000) }), t0 + 3);

    const announced = form(ports.sender.sent[1]!.body);
    expect(announced.get('auth[application_token]')).toBe(again.install.application_token);
    // Its tokens belong to the new installation (a token of the old one would be refused).
    expect(await ports.registry.getCredential(hashSecret(announced.get('auth[access_token]')!))).toMatchObject({ generation: (await ports.registry.getInstallation(app.memberId, app.clientId))!.generation });
  });

  it('learns another worker’s news of a handler within the bound: a failure recorded elsewhere defers this worker’s deliveries after it', async () => {
    // Arrange: this worker knows the handler healthy; another worker then records it failing.
    const { ports, deps, message } = await setUp({ knownForMs: 5000 });
    const t0 = ports.clock.current;
    await deliver(deps, message(), t0);
    await ports.log.putHealth(HANDLER, { latencyMs: 10_000, failures: 3, nextAt: t0 + 60_000 }, t0 + 10);

    // Act
    const within = await deliver(deps, message(), t0 + 4999);
    const after = await deliver(deps, message(), t0 + 5000);

    // Assert
    expect(within.kind).toBe('delivered');
    expect(after).toEqual({ kind: 'deferred', waitSeconds: 55 });
  });

  it('collects attempt records for the caller’s batch write instead of writing each', async () => {
    const { ports, deps, message } = await setUp();
    const attempts: DeliveryAttempt[] = [];

    await Promise.all([1, 2, 3].map((bindingId) => deliver({ ...deps, attempts }, message({ bindingId }), ports.clock.current)));

    expect(ports.log.attempts).toEqual([]);
    expect(attempts.map((a) => a.bindingId).sort()).toEqual([1, 2, 3]);
    await ports.log.recordAttempts(attempts);
    expect(await ports.log.listAttempts(attempts[0]!.memberId, attempts[0]!.clientId, 10)).toHaveLength(3);
  });
});
