import { authenticate } from '../../../lambdas/usecases/authenticate';
import {
  createApplicationLink,
  createOperatorCredential,
  listQueueViews,
  openLink,
  overview,
  revokeOperatorCredential,
  sessionScope,
  signIn,
  signOut,
  visibleInstallations,
} from '../../../lambdas/usecases/console';
import { installApp } from '../../support/memory/apps';
import { memoryPorts } from '../../support/memory';

/** The console's credentials, sessions, application scope and overview (usecases/console.ts) on in-memory ports. */
describe('console use cases', () => {
  it('signs an operator in with a credential stored hashed, ends the session at its expiry or on sign-out, and refuses a revoked credential', async () => {
    const ports = memoryPorts();
    const secret = await createOperatorCredential(ports.registry);
    const session = await signIn(ports.registry, secret, 60, ports.clock.current);
    await expect(sessionScope(ports.registry, session.token, ports.clock.current)).resolves.toEqual({ role: 'operator' });
    await expect(sessionScope(ports.registry, session.token, ports.clock.current + 60_000)).resolves.toBeUndefined();
    await signOut(ports.registry, session.token);
    await expect(sessionScope(ports.registry, session.token, ports.clock.current)).resolves.toBeUndefined();
    // Console credentials are no REST credentials.
    await expect(authenticate(ports.registry, { type: 'token', token: session.token }, Math.floor(ports.clock.current / 1000))).rejects.toMatchObject({ code: 'invalid_token' });
    await expect(signIn(ports.registry, 'op_wrong', 60, ports.clock.current)).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    expect(await revokeOperatorCredential(ports.registry, secret)).toBe(true);
    await expect(signIn(ports.registry, secret, 60, ports.clock.current)).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
  });

  it('an application link opens a session limited to its installation, never longer than the link, and refuses other ids', async () => {
    const ports = memoryPorts();
    const a = await installApp(ports);
    const b = await installApp(ports);
    const link = await createApplicationLink(ports.registry, a.memberId, a.clientId, 120, ports.clock.current);
    const session = await openLink(ports.registry, link.token, 3600, ports.clock.current);
    expect(session.expiresAt).toBe(link.expiresAt);
    const scope = (await sessionScope(ports.registry, session.token, ports.clock.current))!;
    expect(scope).toEqual({ role: 'application', memberId: a.memberId, clientId: a.clientId });
    expect((await visibleInstallations(ports.registry, scope)).map((i) => i.clientId)).toEqual([a.clientId]);
    await expect(visibleInstallations(ports.registry, scope, b.memberId)).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    await expect(visibleInstallations(ports.registry, scope, a.memberId, b.clientId)).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    await expect(openLink(ports.registry, link.token, 3600, ports.clock.current + 121_000)).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    await expect(createApplicationLink(ports.registry, a.memberId, b.clientId, 120, ports.clock.current)).rejects.toMatchObject({ code: 'ERROR_ARGUMENT' });
  });

  it('the overview counts attempts by outcome and hour/day, latency percentiles and the offline backlog', async () => {
    const ports = memoryPorts();
    const a = await installApp(ports);
    const now = ports.clock.current;
    const attempt = (ok: boolean, latencyMs: number, ago: number, n: number) =>
      ports.log.recordAttempt({ memberId: a.memberId, clientId: a.clientId, bindingId: 1, event: 'ONCRMDEALADD', handler: 'https://h.example.com/', deliveryId: `msg_${n}`, attempt: 1, status: ok ? 200 : 500, latencyMs, ok, at: now - ago });
    for (let i = 0; i < 100; i++) await attempt(true, i + 1, 60_000, i);
    await attempt(false, 5, 2 * 3600_000, 200);
    await attempt(true, 7, 25 * 3600_000, 201); // older than a day: not counted
    const installations = await visibleInstallations(ports.registry, { role: 'operator' });
    const o = await overview({ registry: ports.registry, bindings: ports.bindings, journal: ports.journal, deliveryLog: ports.log }, installations, now, 1000);
    expect(o.deliveries).toEqual({ hour: { ok: 100, failed: 0 }, day: { ok: 100, failed: 1 } });
    expect(o.latency).toEqual({ p50: 50, p99: 99, samples: 100 });
    expect(o.series.reduce((s, [, ok, failed]) => s + ok + failed, 0)).toBe(101);
    expect(o.backlog).toMatchObject({ pending: 0, queues: 0 });
    expect(await listQueueViews(ports.journal, installations)).toEqual([expect.objectContaining({ clientId: a.clientId, connector: '', pending: 0, errors: 0 })]);
  });
});
