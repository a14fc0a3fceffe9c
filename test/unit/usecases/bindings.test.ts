import type { Binding, Caller } from '../../../lambdas/domain/model';
import { bind, getBindings, listEvents, unbind } from '../../../lambdas/usecases/bindings';
import { installApp } from '../../support/memory/apps';
import { memoryPorts, type MemoryPorts } from '../../support/memory';

/** event.bind / event.unbind / event.get / events (docs/rest-api.md) on in-memory ports. */

type Shown = { event: string; offline: false; handler: string; userId: number } | { event: string; offline: true; connector: string };

/** What event.get shows, in one form. */
async function shown(ports: MemoryPorts, caller: Caller): Promise<Shown[]> {
  return (await getBindings(ports, caller)).map((b: Binding) =>
    b.offline ? { event: b.event, offline: true, connector: b.connector } : { event: b.event, offline: false, handler: b.handler, userId: b.userId },
  );
}

async function twoUsers(ports: MemoryPorts) {
  const admin = await installApp(ports, { userId: 1, admin: true });
  const user = await installApp(ports, { memberId: admin.memberId, clientId: admin.clientId, userId: 2, admin: false });
  return { admin: admin.caller, user: user.caller };
}

describe('event.bind and event.get', () => {
  it('stores bindings and lists them in creation order, online and offline in their own shapes', async () => {
    // Arrange
    const ports = memoryPorts();
    const { admin } = await twoUsers(ports);

    // Act
    await bind(ports, admin, { event: 'onCrmDealAdd', handler: 'https://a.example.com/h', eventType: 'online', connector: '' }, ports.clock.current);
    await bind(ports, admin, { event: 'ONCRMDEALADD', eventType: 'offline', connector: 'sync' }, ports.clock.current);
    await bind(ports, admin, { event: 'ONTASKADD', handler: 'https://a.example.com/h', authType: 5, eventType: 'online', connector: '' }, ports.clock.current);

    // Assert
    expect(await shown(ports, admin)).toEqual([
      { event: 'ONCRMDEALADD', offline: false, handler: 'https://a.example.com/h', userId: 0 },
      { event: 'ONCRMDEALADD', offline: true, connector: 'sync' },
      { event: 'ONTASKADD', offline: false, handler: 'https://a.example.com/h', userId: 5 },
    ]);
  });

  it('the same binding twice is ERROR_CORE and is stored once', async () => {
    const ports = memoryPorts();
    const { admin } = await twoUsers(ports);
    const request = { event: 'ONCRMDEALADD', handler: 'https://a.example.com/h', eventType: 'online' as const, connector: '' };
    await bind(ports, admin, request, ports.clock.current);

    await expect(bind(ports, admin, request, ports.clock.current)).rejects.toMatchObject({ code: 'ERROR_CORE', description: 'Unable to set event handler: Handler already binded' });

    expect(await getBindings(ports, admin)).toHaveLength(1);
  });

  it('an offline binding needs an administrator and remembers its connector on the installation (for uninstall)', async () => {
    const ports = memoryPorts();
    const { admin, user } = await twoUsers(ports);

    await expect(bind(ports, user, { event: 'ONCRMDEALADD', eventType: 'offline', connector: 'x' }, ports.clock.current)).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    await bind(ports, admin, { event: 'ONCRMDEALADD', eventType: 'offline', connector: 'x' }, ports.clock.current);

    expect((await ports.registry.getInstallation(admin.memberId, admin.clientId))!.connectors).toEqual(['x']);
  });

  it('refuses, storing nothing: unknown events, events outside the scopes, bad handler URLs, another user’s auth_type', async () => {
    const ports = memoryPorts();
    const { admin, user } = await twoUsers(ports);
    const narrow = await installApp(ports, { scopes: ['task'] });

    await expect(bind(ports, admin, { event: 'ONNOSUCHEVENT', handler: 'https://a.example.com/h', eventType: 'online', connector: '' }, ports.clock.current)).rejects.toMatchObject({ code: 'ERROR_EVENT_NOT_FOUND' });
    await expect(bind(ports, narrow.caller, { event: 'ONCRMDEALADD', handler: 'https://a.example.com/h', eventType: 'online', connector: '' }, ports.clock.current)).rejects.toMatchObject({ code: 'ERROR_EVENT_NOT_FOUND' });
    await expect(bind(ports, admin, { event: 'ONCRMDEALADD', handler: 'ftp://a.example.com/h', eventType: 'online', connector: '' }, ports.clock.current)).rejects.toMatchObject({ code: 'ERROR_UNSUPPORTED_PROTOCOL' });
    await expect(bind(ports, admin, { event: 'ONCRMDEALADD', handler: 'http://localhost/h', eventType: 'online', connector: '' }, ports.clock.current)).rejects.toMatchObject({ code: 'ERROR_WRONG_HANDLER_URL' });
    await expect(bind(ports, user, { event: 'ONCRMDEALADD', handler: 'https://a.example.com/h', authType: 1, eventType: 'online', connector: '' }, ports.clock.current)).rejects.toMatchObject({ code: 'ACCESS_DENIED' });

    expect(ports.bindings.all()).toEqual([]);
  });

  it('a user who is not an administrator binds for himself and sees only his own bindings', async () => {
    const ports = memoryPorts();
    const { admin, user } = await twoUsers(ports);
    await bind(ports, admin, { event: 'ONCRMDEALADD', handler: 'https://a.example.com/admin', eventType: 'online', connector: '' }, ports.clock.current);

    await bind(ports, user, { event: 'ONCRMDEALADD', handler: 'https://a.example.com/user', eventType: 'online', connector: '' }, ports.clock.current);

    expect(await shown(ports, user)).toEqual([{ event: 'ONCRMDEALADD', offline: false, handler: 'https://a.example.com/user', userId: 2 }]);
    expect(await getBindings(ports, admin)).toHaveLength(2);
  });

  it('lists the catalog the application sees: its scopes and the global events', async () => {
    const ports = memoryPorts();
    const narrow = await installApp(ports, { scopes: ['task'] });

    const events = listEvents(ports, narrow.caller, {});

    expect(events).toEqual(expect.arrayContaining(['ONTASKADD', 'ONAPPTEST', 'ONOFFLINEEVENT']));
    expect(events).not.toContain('ONCRMDEALADD');
  });
});

describe('event.unbind', () => {
  it('removes the matching online bindings of the application and counts them; other applications keep theirs', async () => {
    // Arrange
    const ports = memoryPorts();
    const { admin } = await twoUsers(ports);
    const stranger = await installApp(ports, { memberId: admin.memberId });
    for (const authType of [0, 5]) await bind(ports, admin, { event: 'ONCRMDEALADD', handler: 'https://a.example.com/h', authType, eventType: 'online', connector: '' }, ports.clock.current);
    await bind(ports, admin, { event: 'ONCRMDEALADD', handler: 'https://b.example.com/h', eventType: 'online', connector: '' }, ports.clock.current);
    await bind(ports, stranger.caller, { event: 'ONCRMDEALADD', handler: 'https://a.example.com/h', eventType: 'online', connector: '' }, ports.clock.current);

    // Act
    const removed = await unbind(ports, admin, { event: 'ONCRMDEALADD', handler: 'https://a.example.com/h', eventType: 'online' });

    // Assert
    expect(removed).toEqual({ count: 2 });
    expect(await shown(ports, admin)).toEqual([{ event: 'ONCRMDEALADD', offline: false, handler: 'https://b.example.com/h', userId: 0 }]);
    expect(await getBindings(ports, stranger.caller)).toHaveLength(1);
  });

  it('narrows by auth_type; a user who is not an administrator removes only his own', async () => {
    const ports = memoryPorts();
    const { admin, user } = await twoUsers(ports);
    await bind(ports, admin, { event: 'ONCRMDEALADD', handler: 'https://a.example.com/h', authType: 2, eventType: 'online', connector: '' }, ports.clock.current);
    await bind(ports, admin, { event: 'ONCRMDEALADD', handler: 'https://a.example.com/h', authType: 5, eventType: 'online', connector: '' }, ports.clock.current);

    expect(await unbind(ports, user, { event: 'ONCRMDEALADD', handler: 'https://a.example.com/h', eventType: 'online' })).toEqual({ count: 1 });
    await expect(unbind(ports, user, { event: 'ONCRMDEALADD', handler: 'https://a.example.com/h', authType: 5, eventType: 'online' })).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    expect(await unbind(ports, admin, { event: 'ONCRMDEALADD', handler: 'https://a.example.com/h', authType: 7, eventType: 'online' })).toEqual({ count: 0 });
    expect(await unbind(ports, admin, { event: 'ONCRMDEALADD', handler: 'https://a.example.com/h', authType: 5, eventType: 'online' })).toEqual({ count: 1 });
  });

  it('offline: by connector, administrators only; online needs a handler', async () => {
    const ports = memoryPorts();
    const { admin, user } = await twoUsers(ports);
    await bind(ports, admin, { event: 'ONCRMDEALADD', eventType: 'offline', connector: '' }, ports.clock.current);
    await bind(ports, admin, { event: 'ONCRMDEALADD', eventType: 'offline', connector: 'sync' }, ports.clock.current);

    await expect(unbind(ports, user, { event: 'ONCRMDEALADD', eventType: 'offline', connector: 'sync' })).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    await expect(unbind(ports, admin, { event: 'ONCRMDEALADD', eventType: 'online' })).rejects.toMatchObject({ code: 'ERROR_ARGUMENT', argument: 'HANDLER' });
    expect(await unbind(ports, admin, { event: 'ONCRMDEALADD', eventType: 'offline', connector: 'sync' })).toEqual({ count: 1 });
    expect(await shown(ports, admin)).toEqual([{ event: 'ONCRMDEALADD', offline: true, connector: '' }]);
  });
});
