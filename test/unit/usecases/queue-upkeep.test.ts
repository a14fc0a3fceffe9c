import type { QueueKey } from '../../../lambdas/domain/model';
import type { TrimOutcome } from '../../../lambdas/domain/ports';
import { bind } from '../../../lambdas/usecases/bindings';
import { getOffline } from '../../../lambdas/usecases/offline';
import { publish } from '../../../lambdas/usecases/publish';
import { QueueUpkeep, type QueueUpkeepSettings } from '../../../lambdas/usecases/queue-upkeep';
import { installApp } from '../../support/memory/apps';
import { memoryPorts, type MemoryPorts } from '../../support/memory';

/** Retention and size limit of the offline queues (docs/journal.md, "Retention and queue size"), on in-memory ports. */

const DAY = 24 * 3600 * 1000;
const HOUR = 3600 * 1000;

async function setUp(settings: Partial<QueueUpkeepSettings> = {}) {
  const ports = memoryPorts();
  const app = await installApp(ports);
  await bind(ports, app.caller, { event: 'ONCRMDEALUPDATE', eventType: 'offline', connector: '' }, ports.clock.current);
  const upkeep = new QueueUpkeep(ports.journal, { retentionMs: 30 * DAY, maxRecords: 1000, intervalMs: HOUR, ...settings });
  const reports: (TrimOutcome | { failed: unknown })[] = [];
  upkeep.report = (_queue, outcome) => reports.push(outcome);
  const queue: QueueKey = { memberId: app.memberId, clientId: app.clientId, connector: '' };
  const publishDeals = (ids: number[]) =>
    publish({ ...ports, upkeep }, { memberId: app.memberId, events: ids.map((id) => ({ event: 'ONCRMDEALUPDATE', data: { FIELDS: { ID: id } } })) }, ports.clock.current);
  const get = (limit = 50) => getOffline(ports.journal, app.caller, { limit, clear: true, connector: '', error: false }, ports.clock.current, upkeep);
  return { ports, app, upkeep, reports, queue, publishDeals, get };
}
const dealIds = (records: { eventData: unknown }[]) => records.map((r) => (r.eventData as { FIELDS: { ID: number } }).FIELDS.ID);
const pendingCount = async (ports: MemoryPorts, queue: QueueKey) => (await ports.journal.readAll(queue, ports.clock.current)).length;

describe('queue upkeep', () => {
  it('a queue over its size limit keeps its newest records, and event.offline.get says how many were removed', async () => {
    // Arrange: a limit of 5, checked at every write.
    const { ports, reports, queue, publishDeals, get } = await setUp({ maxRecords: 5, intervalMs: 0 });

    // Act: 8 records, then 4 more.
    await publishDeals([1, 2, 3, 4, 5, 6, 7, 8]);
    ports.clock.advance(1000);
    await publishDeals([9, 10, 11, 12]);

    // Assert
    expect(reports).toEqual([
      { expired: 0, overflow: 3, claimsExpired: 0 },
      { expired: 0, overflow: 4, claimsExpired: 0 },
    ]);
    const batch = await get();
    expect(dealIds(batch.records)).toEqual([8, 9, 10, 11, 12]);
    expect(batch.queue).toMatchObject({ pending: 0, removedExpired: 0, removedOverflow: 7 });
    expect(await pendingCount(ports, queue)).toBe(0);
  });

  it('removes records not written within the retention; a record written again is kept', async () => {
    const { ports, reports, publishDeals, get } = await setUp({ retentionMs: 2 * DAY, intervalMs: HOUR });
    await publishDeals([1, 2, 3]);
    ports.clock.advance(DAY);
    await publishDeals([2]); // merged: written again a day later

    ports.clock.advance(DAY + 1);
    await publishDeals([4]);

    expect(reports.at(-1)).toEqual({ expired: 2, overflow: 0, claimsExpired: 0 });
    const batch = await get();
    expect(dealIds(batch.records)).toEqual([2, 4]);
    expect(batch.queue).toMatchObject({ removedExpired: 2, removedOverflow: 0 });
  });

  it('trims a queue at most once per interval, across processes, and the get removes expired claimed copies', async () => {
    const { ports, app, upkeep, reports, queue, publishDeals } = await setUp({ maxRecords: 2, intervalMs: HOUR });
    const otherProcess = new QueueUpkeep(ports.journal, upkeep.settings);
    const trim = jest.spyOn(ports.journal, 'trim');

    await publishDeals([1, 2, 3]); // trims: 1 removed
    await publishDeals([4, 5]); // within the interval: this process does not even ask
    expect(await otherProcess.after(queue, ports.clock.current)).toBeUndefined(); // another process asks, and is refused the turn
    expect(trim).toHaveBeenCalledTimes(1);
    expect(await pendingCount(ports, queue)).toBe(4);

    ports.clock.advance(HOUR);
    const held = await getOffline(ports.journal, app.caller, { limit: 1, clear: false, connector: '', error: false }, ports.clock.current, upkeep);
    expect(reports.at(-1)).toEqual({ expired: 0, overflow: 2, claimsExpired: 0 });
    expect(held.queue).toMatchObject({ pending: 1, removedOverflow: 3 });

    // The claim is never cleared: once it expires (the memory store's default lifetime, 30 days), the next turn removes the copy and the last pending record, now past the retention.
    ports.clock.advance(30 * DAY);
    expect(await otherProcess.after(queue, ports.clock.current)).toEqual({ expired: 1, overflow: 0, claimsExpired: 1 });
    expect(await ports.journal.readAll(queue, ports.clock.current)).toEqual([]);
  });

  it('a failed trim is reported and never fails the publish that triggered it', async () => {
    const { ports, reports, queue, publishDeals } = await setUp({ maxRecords: 1, intervalMs: 0 });
    jest.spyOn(ports.journal, 'trim').mockRejectedValueOnce(new Error('ProvisionedThroughputExceededException'));

    const result = await publishDeals([1, 2]);

    expect(result.records_created).toBe(2);
    expect(reports).toEqual([{ failed: new Error('ProvisionedThroughputExceededException') }]);
    expect(await pendingCount(ports, queue)).toBe(2);
    ports.clock.advance(1);
    await publishDeals([3]);
    expect(await pendingCount(ports, queue)).toBe(1);
  });
});
