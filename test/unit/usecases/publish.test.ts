import fc from 'fast-check';
import { messageIdOf } from '../../../lambdas/domain/journal';
import type { QueueKey } from '../../../lambdas/domain/model';
import { bind } from '../../../lambdas/usecases/bindings';
import { publish } from '../../../lambdas/usecases/publish';
import { installApp } from '../../support/memory/apps';
import { memoryPorts, type MemoryPorts } from '../../support/memory';

/** publish (docs/producer.md) on in-memory ports: fan-out to online and offline bindings, merge per object. */

async function appWithBindings(ports: MemoryPorts) {
  const app = await installApp(ports);
  const binds = {
    online: (event: string, handler: string, extra: { authType?: number; options?: Record<string, unknown> } = {}) => bind(ports, app.caller, { event, handler, eventType: 'online', connector: '', ...extra }, ports.clock.current),
    offline: (event: string, connector = '') => bind(ports, app.caller, { event, eventType: 'offline', connector }, ports.clock.current),
  };
  return { app, ...binds, queue: (connector = ''): QueueKey => ({ memberId: app.memberId, clientId: app.clientId, connector }) };
}

describe('publish', () => {
  it('queues one delivery per online binding, in binding order, with the binding’s user or else the event’s', async () => {
    // Arrange
    const ports = memoryPorts();
    const { app, online } = await appWithBindings(ports);
    await online('ONCRMDEALADD', 'https://a.example.com/h');
    await online('ONCRMDEALADD', 'https://b.example.com/h', { authType: 9, options: { format: 'json' } });
    await online('ONCRMDEALUPDATE', 'https://c.example.com/h');

    // Act
    const result = await publish(ports, { memberId: app.memberId, events: [{ event: 'onCrmDealAdd', data: { FIELDS: { ID: 1 } }, userId: 3 }] }, ports.clock.current);

    // Assert
    expect(result).toEqual({ deliveries_queued: 2, notifications_queued: 0, records_created: 0, records_merged: 0, records_suppressed: 0, duplicates_skipped: 0, notWritten: [], ledgerErrors: [] });
    expect(ports.deliveries.messages.map((m) => [m.handler, m.userId, m.event, m.data, m.format])).toEqual([
      ['https://a.example.com/h', 3, 'ONCRMDEALADD', { FIELDS: { ID: 1 } }, undefined],
      ['https://b.example.com/h', 9, 'ONCRMDEALADD', { FIELDS: { ID: 1 } }, 'json'],
    ]);
    expect(ports.deliveries.messages.every((m) => m.ts === Math.floor(ports.clock.current / 1000) && m.memberId === app.memberId)).toBe(true);
  });

  it('journals one record per offline queue (connector), with the user in EVENT_ADDITIONAL', async () => {
    const ports = memoryPorts();
    const { app, offline, queue } = await appWithBindings(ports);
    await offline('ONCRMDEALADD', '');
    await offline('ONCRMDEALADD', 'sync');

    const result = await publish(ports, { memberId: app.memberId, events: [{ event: 'ONCRMDEALADD', data: { FIELDS: { ID: 1 } }, userId: 3 }] }, ports.clock.current);

    expect(result).toMatchObject({ deliveries_queued: 0, records_created: 2, records_merged: 0 });
    for (const connector of ['', 'sync']) {
      const records = await ports.journal.readAll(queue(connector), ports.clock.current);
      expect(records).toEqual([
        expect.objectContaining({ eventName: 'ONCRMDEALADD', eventData: { FIELDS: { ID: 1 } }, eventAdditional: { user_id: '3' }, messageId: messageIdOf('ONCRMDEALADD', { FIELDS: { ID: 1 } }), processId: '' }),
      ]);
    }
  });

  it('skips the queue of the application and connector that caused the change, and only that one', async () => {
    const ports = memoryPorts();
    const { app, offline, queue } = await appWithBindings(ports);
    await offline('ONCRMDEALADD', '');
    await offline('ONCRMDEALADD', 'sync');

    const result = await publish(ports, { memberId: app.memberId, events: [{ event: 'ONCRMDEALADD', data: { ID: 1 }, initiator: { clientId: app.clientId, connector: 'sync' } }] }, ports.clock.current);

    expect(result).toMatchObject({ records_created: 1, records_suppressed: 1 });
    expect(await ports.journal.readAll(queue('sync'), ports.clock.current)).toEqual([]);
    expect(await ports.journal.readAll(queue(''), ports.clock.current)).toHaveLength(1);
  });

  it('merges writes of one object: within a request the last one wins, across requests the pending record is updated', async () => {
    const ports = memoryPorts();
    const { app, offline, queue } = await appWithBindings(ports);
    await offline('ONCRMDEALUPDATE');

    const first = await publish(ports, { memberId: app.memberId, events: [
      { event: 'ONCRMDEALUPDATE', data: { v: 1 }, messageId: 'A'.repeat(32) },
      { event: 'ONCRMDEALUPDATE', data: { v: 2 }, messageId: 'a'.repeat(32) },
    ] }, ports.clock.current);
    ports.clock.advance(5000);
    const second = await publish(ports, { memberId: app.memberId, events: [{ event: 'ONCRMDEALUPDATE', data: { v: 3 }, messageId: 'a'.repeat(32) }] }, ports.clock.current);

    expect(first).toMatchObject({ records_created: 1, records_merged: 1 });
    expect(second).toMatchObject({ records_created: 0, records_merged: 1, duplicates_skipped: 0 }); // a new version of the object, not a retry
    const records = await ports.journal.readAll(queue(), ports.clock.current);
    expect(records).toEqual([expect.objectContaining({ messageId: 'a'.repeat(32), eventData: { v: 3 }, timestamp: ports.clock.current })]);
  });

  it('never merges into a claimed record: the next write of the object makes a new pending record', async () => {
    const ports = memoryPorts();
    const { app, offline, queue } = await appWithBindings(ports);
    await offline('ONCRMDEALUPDATE');
    await publish(ports, { memberId: app.memberId, events: [{ event: 'ONCRMDEALUPDATE', data: { ID: 7 } }] }, ports.clock.current);
    const [pending] = await ports.journal.readAll(queue(), ports.clock.current);
    await ports.journal.claim(queue(), [pending!], { clear: false, processId: 'p'.repeat(32), now: ports.clock.current });

    const result = await publish(ports, { memberId: app.memberId, events: [{ event: 'ONCRMDEALUPDATE', data: { ID: 7 } }] }, ports.clock.advance(1000));

    expect(result).toMatchObject({ records_created: 1, records_merged: 0 });
    expect((await ports.journal.readAll(queue(), ports.clock.current)).map((r) => r.processId).sort()).toEqual(['', 'p'.repeat(32)]);
  });

  it('checks the whole request first: an unknown portal or event writes and queues nothing', async () => {
    const ports = memoryPorts();
    const { app, online, offline, queue } = await appWithBindings(ports);
    await online('ONCRMDEALADD', 'https://a.example.com/h');
    await offline('ONCRMDEALADD');

    await expect(publish(ports, { memberId: 'f'.repeat(32), events: [{ event: 'ONCRMDEALADD', data: {} }] }, ports.clock.current)).rejects.toMatchObject({ code: 'ERROR_ARGUMENT', argument: 'MEMBER_ID' });
    await expect(
      publish(ports, { memberId: app.memberId, events: [{ event: 'ONCRMDEALADD', data: {} }, { event: 'ONNOSUCHEVENT', data: {} }] }, ports.clock.current),
    ).rejects.toMatchObject({ code: 'ERROR_ARGUMENT', argument: 'EVENTS[1].EVENT' });

    expect(ports.deliveries.queued).toEqual([]);
    expect(await ports.journal.readAll(queue(), ports.clock.current)).toEqual([]);
  });

  it('announces journaled records to the application’s ONOFFLINEEVENT binding once per request', async () => {
    const ports = memoryPorts();
    const { app, online, offline } = await appWithBindings(ports);
    await offline('ONCRMDEALADD');
    await online('ONOFFLINEEVENT', 'https://app.example.com/offline', { options: { minTimeout: 0 } });

    const result = await publish(ports, { memberId: app.memberId, events: [1, 2, 3].map((id) => ({ event: 'ONCRMDEALADD', data: { ID: id }, userId: 4 })) }, ports.clock.current);

    expect(result).toMatchObject({ records_created: 3, notifications_queued: 1, deliveries_queued: 0 });
    expect(ports.deliveries.messages).toEqual([expect.objectContaining({ event: 'ONOFFLINEEVENT', userId: 4, data: { type: 'add', event: 'ONCRMDEALADD', handler: 'https://app.example.com/offline' } })]);
  });

  it('property: the queue holds one pending record per object, with the object’s last data, whatever the publishes', async () => {
    const publishes = fc.array(fc.array(fc.record({ object: fc.integer({ min: 1, max: 5 }), v: fc.nat(99) }), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 5 });
    await fc.assert(
      fc.asyncProperty(publishes, async (requests) => {
        const ports = memoryPorts();
        const { app, offline, queue } = await appWithBindings(ports);
        await offline('ONCRMDEALUPDATE');
        let written = 0;
        let counted = 0;
        for (const events of requests) {
          const result = await publish(ports, { memberId: app.memberId, events: events.map((e) => ({ event: 'ONCRMDEALUPDATE', data: { v: e.v }, messageId: String(e.object).padStart(32, '0') })) }, ports.clock.advance(1000));
          written += events.length;
          // A request that repeats the object's last version is a retry: skipped, not written again.
          counted += result.records_created + result.records_merged + result.duplicates_skipped;
        }
        const last = new Map(requests.flat().map((e) => [String(e.object).padStart(32, '0'), { v: e.v }]));
        const records = await ports.journal.readAll(queue(), ports.clock.current);
        expect(counted).toBe(written);
        expect(new Map(records.map((r) => [r.messageId, r.eventData]))).toEqual(last);
        expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
      }),
      { numRuns: 40 },
    );
  });

  describe('failures isolated per queue and per delivery', () => {
    const collectionFull = () => Object.assign(new Error('Item collection size limit exceeded (injected)'), { name: 'ItemCollectionSizeLimitExceededException' });

    it('writes every other record and delivery when one queue fails, and lists what was not written per event and binding', async () => {
      const ports = memoryPorts();
      const { app, online, offline, queue } = await appWithBindings(ports);
      await online('ONCRMDEALADD', 'https://a.example.com/h');
      await offline('ONCRMDEALADD', 'full');
      await offline('ONCRMDEALADD', '');
      const full = (await ports.bindings.listByEvent(app.memberId, 'ONCRMDEALADD')).find((b) => b.offline && b.connector === 'full')!;
      ports.journal.fail = (q) => (q.connector === 'full' ? collectionFull() : undefined);

      const result = await publish(ports, { memberId: app.memberId, events: [1, 2].map((id) => ({ event: 'ONCRMDEALADD', data: { ID: id } })) }, ports.clock.current);

      expect(result).toMatchObject({ deliveries_queued: 2, records_created: 2, records_merged: 0 });
      expect(result.notWritten).toEqual([0, 1].map((index) => ({ index, event: 'ONCRMDEALADD', kind: 'record', bindingId: full.id, clientId: app.clientId, connector: 'full', error: expect.objectContaining({ name: 'ItemCollectionSizeLimitExceededException' }) })));
      expect(await ports.journal.readAll(queue(''), ports.clock.current)).toHaveLength(2);
      expect(await ports.journal.readAll(queue('full'), ports.clock.current)).toEqual([]);
      expect(ports.deliveries.messages).toHaveLength(2);
    });

    it('queues every other delivery when one is refused, and a queue that throws as a whole fails only its own writes', async () => {
      const ports = memoryPorts();
      const { app, online, offline, queue } = await appWithBindings(ports);
      await online('ONCRMDEALADD', 'https://refused.example.com/h');
      await online('ONCRMDEALADD', 'https://b.example.com/h');
      const refused = (await ports.bindings.listByEvent(app.memberId, 'ONCRMDEALADD')).find((b) => b.handler.includes('refused'))!;
      await offline('ONCRMDEALADD', 'sync');
      await offline('ONCRMDEALADD', '');
      ports.deliveries.fail = (m) => (m.handler.includes('refused') ? new Error('SQS refused the delivery (injected)') : undefined);
      const write = ports.journal.write.bind(ports.journal);
      ports.journal.write = async (q, writes, now) => {
        if (q.connector === 'sync') throw Object.assign(new Error('Throughput exceeded (injected)'), { name: 'ProvisionedThroughputExceededException' });
        return write(q, writes, now);
      };

      const result = await publish(ports, { memberId: app.memberId, events: [{ event: 'ONCRMDEALADD', data: { ID: 1 } }] }, ports.clock.current);

      expect(result).toMatchObject({ deliveries_queued: 1, records_created: 1 });
      expect(result.notWritten.map((n) => [n.kind, n.bindingId === refused.id, n.connector])).toEqual([
        ['record', false, 'sync'],
        ['delivery', true, undefined],
      ]);
      expect(ports.deliveries.messages.map((m) => m.handler)).toEqual(['https://b.example.com/h']);
      expect(await ports.journal.readAll(queue(''), ports.clock.current)).toHaveLength(1);
    });

    it('a retry with the same message_id makes only what was not written: no second delivery, no second record after a drain', async () => {
      const ports = memoryPorts();
      const { app, online, offline, queue } = await appWithBindings(ports);
      await online('ONCRMDEALUPDATE', 'https://a.example.com/h');
      await online('ONCRMDEALUPDATE', 'https://flaky.example.com/h');
      await offline('ONCRMDEALUPDATE', '');
      await offline('ONCRMDEALUPDATE', 'full');
      const request = { memberId: app.memberId, events: [{ event: 'ONCRMDEALUPDATE', data: { FIELDS: { ID: 7 }, v: 1 }, messageId: 'c'.repeat(32) }] };
      ports.deliveries.fail = (m) => (m.handler.includes('flaky') ? new Error('refused (injected)') : undefined);
      ports.journal.fail = (q) => (q.connector === 'full' ? collectionFull() : undefined);

      const first = await publish(ports, request, ports.clock.current);
      expect(first.notWritten.map((n) => n.kind).sort()).toEqual(['delivery', 'record']);
      // The consumer drains the queue that was written before the producer retries.
      const [written] = await ports.journal.readAll(queue(''), ports.clock.current);
      await ports.journal.claim(queue(''), [written!], { clear: true, processId: 'p'.repeat(32), now: ports.clock.current });
      ports.deliveries.fail = undefined;
      ports.journal.fail = undefined;

      const retry = await publish(ports, request, ports.clock.advance(2000));
      const again = await publish(ports, request, ports.clock.advance(2000));

      expect(retry).toMatchObject({ deliveries_queued: 1, records_created: 1, duplicates_skipped: 2, notWritten: [] });
      expect(again).toMatchObject({ deliveries_queued: 0, records_created: 0, records_merged: 0, duplicates_skipped: 4, notWritten: [] });
      expect(ports.deliveries.messages.map((m) => m.handler).sort()).toEqual(['https://a.example.com/h', 'https://flaky.example.com/h']);
      expect(await ports.journal.readAll(queue(''), ports.clock.current)).toEqual([]); // drained, not written again
      expect(await ports.journal.readAll(queue('full'), ports.clock.current)).toHaveLength(1);
    });

    it('a new version of the object (other data) under the same message_id is published, and so is A again after B', async () => {
      const ports = memoryPorts();
      const { app, online } = await appWithBindings(ports);
      await online('ONCRMDEALUPDATE', 'https://a.example.com/h');
      const version = (v: number) => ({ memberId: app.memberId, events: [{ event: 'ONCRMDEALUPDATE', data: { v }, messageId: 'd'.repeat(32) }] });
      for (const v of [1, 2, 1]) await publish(ports, version(v), ports.clock.advance(1000));
      expect(ports.deliveries.messages.map((m) => m.data)).toEqual([{ v: 1 }, { v: 2 }, { v: 1 }]);
    });

    it('the window ends: after it, the same message_id and data publish again', async () => {
      const ports = memoryPorts();
      const { app, online } = await appWithBindings(ports);
      await online('ONCRMDEALUPDATE', 'https://a.example.com/h');
      const request = { memberId: app.memberId, events: [{ event: 'ONCRMDEALUPDATE', data: { v: 1 }, messageId: 'e'.repeat(32) }] };
      const deps = { ...ports, idempotencyWindowMs: 60_000 };
      await publish(deps, request, ports.clock.current);
      await publish(deps, request, ports.clock.advance(59_000));
      await publish(deps, request, ports.clock.advance(61_000));
      expect(ports.deliveries.messages).toHaveLength(2);
    });

    it('a retry while the first request still publishes is refused for that message (retry later); other events are written', async () => {
      const ports = memoryPorts();
      const { app, online } = await appWithBindings(ports);
      await online('ONCRMDEALUPDATE', 'https://a.example.com/h');
      const event = { event: 'ONCRMDEALUPDATE', data: { v: 1 }, messageId: 'f'.repeat(32) };
      await ports.ledger.begin(app.memberId, event.messageId, 'x', 'other-request', ports.clock.current, 30_000, 60_000); // another version in flight
      const inFlight = await ports.ledger.begin(app.memberId, '1'.repeat(32), messageIdOfVersion(event), 'first-request', ports.clock.current, 30_000, 60_000);
      expect(inFlight).toEqual({ done: [] });

      const result = await publish(ports, { memberId: app.memberId, events: [{ ...event, messageId: '1'.repeat(32) }, event, { event: 'ONCRMDEALUPDATE', data: { v: 3 } }] }, ports.clock.current);

      expect(result.notWritten).toEqual([expect.objectContaining({ index: 0, kind: 'delivery', error: expect.objectContaining({ code: 'QUERY_LIMIT_EXCEEDED' }) })]);
      expect(ports.deliveries.messages.map((m) => m.data)).toEqual([{ v: 1 }, { v: 3 }]); // another version in flight does not block
    });
  });
});

/** The version publish records for a message_id of one event (usecases/publish.ts). */
function messageIdOfVersion(e: { event: string; data: unknown }): string {
  return messageIdOf(e.event, [e.data, 0, null]);
}
