import { messageIdOf } from '../../lambdas/domain/journal';
import type { QueueKey } from '../../lambdas/domain/model';
import type { JournalWrite } from '../../lambdas/domain/ports';
import { wiring } from '../support/wiring';
import { newClientId, newMemberId, pendingRecords } from '../support/fixtures';

const repo = () => wiring().journal;
const queue = (connector = ''): QueueKey => ({ memberId: newMemberId(), clientId: newClientId(), connector });
const write = (id: number, eventName = 'ONCRMDEALUPDATE', extra: Record<string, unknown> = {}): JournalWrite => {
  const data = { FIELDS: { ID: id } };
  return { eventName, eventData: { ...data, ...extra }, eventAdditional: { user_id: '1' }, messageId: messageIdOf(eventName, data) };
};

describe('JournalRepository (DynamoDB Local)', () => {
  it('creates one record per object and merges later writes into it', async () => {
    const q = queue();
    const now = Date.now();
    expect(await repo().write(q, [write(1), write(2)], now)).toEqual({ created: 2, merged: 0 });
    expect(await repo().write(q, [write(1, 'ONCRMDEALUPDATE', { TITLE: 'new' })], now + 5000)).toEqual({ created: 0, merged: 1 });
    const records = (await repo().readAll(q, Date.now())).sort((a, b) => a.id - b.id);
    expect(records).toHaveLength(2);
    const merged = records.find((r) => r.messageId === messageIdOf('ONCRMDEALUPDATE', { FIELDS: { ID: 1 } }))!;
    expect(merged).toMatchObject({ timestamp: now + 5000, eventData: { FIELDS: { ID: 1 }, TITLE: 'new' }, processId: '', error: false });
  });

  it('keeps the first ID when merging, so the record keeps its place', async () => {
    const q = queue();
    await repo().write(q, [write(7)], 1000);
    const [before] = await repo().readAll(q, Date.now());
    await repo().write(q, [write(7)], 2000);
    const [after] = await repo().readAll(q, Date.now());
    expect(after!.id).toBe(before!.id);
  });

  it('turns 1000 updates of one deal, 10 writers at once, into one record', async () => {
    const q = queue();
    let created = 0;
    let merged = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        for (let i = 0; i < 100; i++) {
          const result = await repo().write(q, [write(7405)], 1000 + i);
          created += result.created;
          merged += result.merged;
        }
      }),
    );
    expect({ created, merged }).toEqual({ created: 1, merged: 999 });
    const records = await repo().readAll(q, Date.now());
    expect(records).toHaveLength(1);
    expect(records[0]!.eventData).toEqual({ FIELDS: { ID: 7405 } });
  });

  it('keeps queues apart by portal, application and connector', async () => {
    const a = queue('');
    const b: QueueKey = { ...a, connector: 'sync' };
    const c: QueueKey = { ...a, clientId: newClientId() };
    await repo().write(a, [write(1)], 1);
    await repo().write(b, [write(1), write(2)], 1);
    expect(await repo().readAll(a, 2)).toHaveLength(1);
    expect(await repo().readAll(b, 2)).toHaveLength(2);
    expect(await repo().readAll(c, 2)).toHaveLength(0);
  });

  it('allocates unique IDs under concurrent writers', async () => {
    const q = queue();
    await Promise.all(Array.from({ length: 10 }, (_, w) => repo().write(q, Array.from({ length: 30 }, (_, i) => write(w * 100 + i)), 1)));
    const ids = (await repo().readAll(q, 2)).map((r) => r.id);
    expect(ids).toHaveLength(300);
    expect(new Set(ids).size).toBe(300);
  });

  it('deletes a whole queue (uninstall) across pages and batches', async () => {
    const q = queue('x');
    await repo().write(q, Array.from({ length: 60 }, (_, i) => write(i)), 1);
    expect(await repo().deleteQueue(q)).toBe(60);
    expect(await repo().readAll(q, 2)).toEqual([]);
  });
});

describe('claiming from the index keys alone (contended rounds)', () => {
  it('reads keys in ID order and claims them: the delete or a read returns the whole record; a gone one is lost', async () => {
    const q = queue();
    const journal = repo();
    await journal.write(q, [1, 2, 3, 4].map((id) => write(id)), Date.now());
    const byId = (await pendingRecords(journal, q)).sort((a, b) => a.id - b.id);

    const keys = await journal.pendingKeys(q, false, { by: 'id', descending: false }, 3);
    expect(keys).toEqual(byId.slice(0, 3).map((r) => ({ id: r.id, messageId: r.messageId, error: false })));
    expect(await journal.pendingKeys(q, false, { by: 'id', descending: true, fromId: byId[1]!.id }, 10)).toHaveLength(3);

    const deleted = await journal.claim(q, [keys[0]!], { clear: true, processId: 'a'.repeat(32), now: Date.now() });
    expect(deleted.claimed).toEqual([expect.objectContaining({ id: byId[0]!.id, eventData: { FIELDS: { ID: 1 } }, eventName: 'ONCRMDEALUPDATE' })]);
    const moved = await journal.claim(q, [keys[1]!, keys[0]!], { clear: false, processId: 'b'.repeat(32), now: Date.now() });
    expect(moved).toEqual({ attempted: 2, claimed: [expect.objectContaining({ id: byId[1]!.id, processId: 'b'.repeat(32), eventData: { FIELDS: { ID: 2 } } })] });
    expect((await journal.readProcess(q, 'b'.repeat(32), Date.now())).map((r) => r.id)).toEqual([byId[1]!.id]);
    expect((await pendingRecords(journal, q)).map((r) => r.id).sort()).toEqual([byId[2]!.id, byId[3]!.id].sort());
  });
});
