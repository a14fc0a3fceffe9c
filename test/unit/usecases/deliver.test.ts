import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { hashSecret } from '../../../lambdas/domain/credentials';
import type { DeliveryMessage } from '../../../lambdas/domain/ports';
import { deliver, type DeliveryDeps, type DeliverySettings } from '../../../lambdas/usecases/deliver';
import { uninstall } from '../../../lambdas/usecases/installations';
import { installationDeps, installApp, PUBLIC_URL, type InstalledApp } from '../../support/memory/apps';
import { memoryPorts, type Answer, type MemoryPorts } from '../../support/memory';

/** The delivery worker's use case (docs/delivery.md) with a scripted handler: retries, deferral, drop. */

const HANDLER = 'https://handler.example.com/events';
const SETTINGS: DeliverySettings = { publicUrl: PUBLIC_URL, accessTokenTtl: 3600, refreshTokenTtl: 86400, timeoutMs: 10_000, retries: 0, retryBaseSeconds: 30, format: 'form' };

async function setUp(settings: Partial<DeliverySettings> = {}, start?: number): Promise<{ ports: MemoryPorts; app: InstalledApp; deps: DeliveryDeps; message: (over?: Partial<DeliveryMessage>) => DeliveryMessage }> {
  const ports = memoryPorts(start !== undefined ? { start } : {});
  const app = await installApp(ports);
  ports.deliveries.drain();
  const deps: DeliveryDeps = { registry: ports.registry, log: ports.log, sender: ports.sender, queue: ports.deliveries, settings: { ...SETTINGS, ...settings } };
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
