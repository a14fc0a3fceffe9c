import { errors } from '../../lambdas/domain/errors';
import { RecordingDeliveryQueue } from '../support/recording-delivery-queue';
import { bind } from '../../lambdas/usecases/bindings';
import { publish, type PublishDeps } from '../../lambdas/usecases/publish';
import { authenticate } from '../../lambdas/usecases/authenticate';
import { wiring } from '../support/wiring';
import { documentClient } from '../../lambdas/adapters/dynamo/client';
import { DynamoSlotLeaser } from '../../lambdas/adapters/dynamo/id-slot-leaser';
import { JournalRepository, queuePk } from '../../lambdas/adapters/dynamo/journal-repository';
import { PublishLedgerRepository } from '../../lambdas/adapters/dynamo/publish-ledger-repository';
import { IdGenerator } from '../../lambdas/domain/ids';
import type { QueueKey } from '../../lambdas/domain/model';
import { publishAnswer } from '../../lambdas/wire/producer';
import { installUser, newMemberId } from '../support/fixtures';

async function callerOf(token: string) {
  return authenticate(wiring().registry, { type: 'token', token }, Math.floor(Date.now() / 1000));
}

function deps(): PublishDeps & { deliveries: RecordingDeliveryQueue } {
  const w = wiring();
  return { registry: w.registry, bindings: w.bindings, journal: w.journal, catalog: w.catalog, throttle: w.throttle, scheduler: w.scheduler, deliveries: new RecordingDeliveryQueue() };
}

describe('publish (use case against DynamoDB Local)', () => {
  it('queues one delivery per online binding and journals offline bindings, per event', async () => {
    const app = await installUser();
    const caller = await callerOf(app.accessToken);
    const w = wiring();
    await bind(w, caller, { event: 'ONCRMDEALADD', handler: 'https://a.example.com/h', eventType: 'online', connector: '' }, Date.now());
    await bind(w, caller, { event: 'ONCRMDEALADD', handler: 'https://b.example.com/h', authType: 9, eventType: 'online', connector: '' }, Date.now());
    await bind(w, caller, { event: 'ONCRMDEALADD', eventType: 'offline', connector: '' }, Date.now());
    await bind(w, caller, { event: 'ONCRMDEALADD', eventType: 'offline', connector: 'sync' }, Date.now());

    const d = deps();
    const result = await publish(d, { memberId: app.memberId, events: [{ event: 'onCrmDealAdd', data: { FIELDS: { ID: 1 } }, userId: 3 }] }, Date.now());
    expect(result).toEqual({ deliveries_queued: 2, notifications_queued: 0, records_created: 2, records_merged: 0, records_suppressed: 0, duplicates_skipped: 0, notWritten: [], ledgerErrors: [] });
    expect(d.deliveries.recorded.map((m) => [m.handler, m.userId, m.event])).toEqual([
      ['https://a.example.com/h', 3, 'ONCRMDEALADD'],
      ['https://b.example.com/h', 9, 'ONCRMDEALADD'],
    ]);
    const journal = await w.journal.readAll({ memberId: app.memberId, clientId: app.clientId, connector: 'sync' }, Date.now());
    expect(journal).toHaveLength(1);
    expect(journal[0]).toMatchObject({ eventName: 'ONCRMDEALADD', eventData: { FIELDS: { ID: 1 } }, eventAdditional: { user_id: '3' } });
  });

  it('skips the queue of the application and connector that caused the change (auth_connector)', async () => {
    const app = await installUser();
    const caller = await callerOf(app.accessToken);
    const w = wiring();
    await bind(w, caller, { event: 'ONCRMDEALUPDATE', eventType: 'offline', connector: 'sync' }, Date.now());
    await bind(w, caller, { event: 'ONCRMDEALUPDATE', eventType: 'offline', connector: '' }, Date.now());

    const result = await publish(
      deps(),
      { memberId: app.memberId, events: [{ event: 'ONCRMDEALUPDATE', data: { FIELDS: { ID: 5 } }, initiator: { clientId: app.clientId, connector: 'sync' } }] },
      Date.now(),
    );
    expect(result).toMatchObject({ records_created: 1, records_suppressed: 1 });
    expect(await w.journal.readAll({ memberId: app.memberId, clientId: app.clientId, connector: 'sync' }, Date.now())).toEqual([]);
  });

  it('writes one record per object within a request; the last data wins', async () => {
    const app = await installUser();
    const caller = await callerOf(app.accessToken);
    const w = wiring();
    await bind(w, caller, { event: 'ONCRMDEALUPDATE', eventType: 'offline', connector: '' }, Date.now());
    const messageId = 'f'.repeat(32);
    const events = Array.from({ length: 100 }, (_, i) => ({ event: 'ONCRMDEALUPDATE', data: { FIELDS: { ID: 1 }, n: i }, messageId }));
    const result = await publish(deps(), { memberId: app.memberId, events }, Date.now());
    expect(result).toEqual({ deliveries_queued: 0, notifications_queued: 0, records_created: 1, records_merged: 99, records_suppressed: 0, duplicates_skipped: 0, notWritten: [], ledgerErrors: [] });
    const [only] = await w.journal.readAll({ memberId: app.memberId, clientId: app.clientId, connector: '' }, Date.now());
    expect(only).toMatchObject({ messageId, eventData: { FIELDS: { ID: 1 }, n: 99 } });
  });

  it('refuses a request that fans out to more deliveries and writes than the cap, before writing anything', async () => {
    const app = await installUser();
    const caller = await callerOf(app.accessToken);
    const w = wiring();
    await bind(w, caller, { event: 'ONCRMDEALADD', handler: 'https://a.example.com/h', eventType: 'online', connector: '' }, Date.now());
    await bind(w, caller, { event: 'ONCRMDEALADD', eventType: 'offline', connector: '' }, Date.now());
    const events = [1, 2].map((id) => ({ event: 'ONCRMDEALADD', data: { FIELDS: { ID: id } } }));

    // 2 events × (1 delivery + 1 journal write) = 4: over a cap of 3, nothing is queued or written.
    const refused = deps();
    await expect(publish({ ...refused, maxFanOut: 3 }, { memberId: app.memberId, events }, Date.now())).rejects.toMatchObject({ code: 'ERROR_ARGUMENT', argument: 'EVENTS' });
    expect(refused.deliveries.recorded).toEqual([]);
    expect(await w.journal.readAll({ memberId: app.memberId, clientId: app.clientId, connector: '' }, Date.now())).toEqual([]);

    // At the cap it goes through.
    const accepted = deps();
    const result = await publish({ ...accepted, maxFanOut: 4 }, { memberId: app.memberId, events }, Date.now());
    expect(result).toMatchObject({ deliveries_queued: 2, records_created: 2 });
  });

  it('refuses an unknown portal or event and writes nothing', async () => {
    const app = await installUser();
    const caller = await callerOf(app.accessToken);
    const w = wiring();
    await bind(w, caller, { event: 'ONCRMDEALUPDATE', eventType: 'offline', connector: '' }, Date.now());

    await expect(publish(deps(), { memberId: newMemberId(), events: [{ event: 'ONCRMDEALUPDATE', data: {} }] }, Date.now())).rejects.toMatchObject({ code: 'ERROR_ARGUMENT', argument: 'MEMBER_ID' });
    await expect(
      publish(deps(), { memberId: app.memberId, events: [{ event: 'ONCRMDEALUPDATE', data: { a: 1 } }, { event: 'ONNOSUCH', data: {} }] }, Date.now()),
    ).rejects.toMatchObject({ code: errors.badRequest('').code, argument: 'EVENTS[1].EVENT' });
    expect(await w.journal.readAll({ memberId: app.memberId, clientId: app.clientId, connector: '' }, Date.now())).toEqual([]);
  });

  it('one queue full (DynamoDB refuses its writes): every other record and delivery is written, the answer names what was not, and a retry makes only that', async () => {
    const app = await installUser();
    const caller = await callerOf(app.accessToken);
    const w = wiring();
    await bind(w, caller, { event: 'ONCRMDEALUPDATE', handler: 'https://a.example.com/h', eventType: 'online', connector: '' }, Date.now());
    await bind(w, caller, { event: 'ONCRMDEALUPDATE', eventType: 'offline', connector: '' }, Date.now());
    await bind(w, caller, { event: 'ONCRMDEALUPDATE', eventType: 'offline', connector: 'full' }, Date.now());
    const queue = (connector: string): QueueKey => ({ memberId: app.memberId, clientId: app.clientId, connector });
    // A real client on DynamoDB Local whose writes to one queue's partition fail as a full item collection does.
    let full = true;
    const db = documentClient({ region: 'us-east-1', endpoint: w.config.DYNAMODB_ENDPOINT! });
    db.middlewareStack.add(
      (next, context) => async (args) => {
        const key = (args.input as { Key?: { pk?: string } }).Key;
        if (full && context.commandName === 'UpdateItemCommand' && key?.pk === queuePk(queue('full'))) {
          throw Object.assign(new Error('Item collection size limit exceeded (injected)'), { name: 'ItemCollectionSizeLimitExceededException', $fault: 'client' });
        }
        return next(args);
      },
      { step: 'initialize', name: 'inject-fault' },
    );
    const faulty = { ...deps(), journal: new JournalRepository(db, w.config.TABLE_JOURNAL, new IdGenerator(new DynamoSlotLeaser(db, w.config.TABLE_REGISTRY))), ledger: new PublishLedgerRepository(db, w.config.TABLE_DELIVERIES) };
    const request = { memberId: app.memberId, events: [1, 2].map((id) => ({ event: 'ONCRMDEALUPDATE', data: { FIELDS: { ID: id } }, messageId: String(id).repeat(32) })) };

    const first = await publish(faulty, request, Date.now());

    expect(first).toMatchObject({ deliveries_queued: 2, records_created: 2 });
    const answer = publishAnswer(first).result;
    expect(answer.not_written).toEqual([0, 1].map((index) => expect.objectContaining({ index, type: 'record', auth_connector: 'full', client_id: app.clientId, error: 'QUERY_LIMIT_EXCEEDED', message_id: String(index + 1).repeat(32) })));
    expect(await w.journal.readAll(queue(''), Date.now())).toHaveLength(2);
    expect(await w.journal.readAll(queue('full'), Date.now())).toEqual([]);

    full = false;
    const retry = await publish(faulty, request, Date.now());
    const again = await publish(faulty, request, Date.now());

    expect(retry).toMatchObject({ deliveries_queued: 0, records_created: 2, duplicates_skipped: 4, notWritten: [] });
    expect(again).toMatchObject({ deliveries_queued: 0, records_created: 0, records_merged: 0, duplicates_skipped: 6, notWritten: [] });
    expect(faulty.deliveries.recorded.map((m) => m.data)).toEqual([{ FIELDS: { ID: 1 } }, { FIELDS: { ID: 2 } }]);
    expect(await w.journal.readAll(queue('full'), Date.now())).toHaveLength(2);
    expect(await w.journal.readAll(queue(''), Date.now())).toHaveLength(2);
    db.destroy();
  });
});
