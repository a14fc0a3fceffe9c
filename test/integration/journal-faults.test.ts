import { documentClient } from '../../lambdas/adapters/dynamo/client';
import { DynamoSlotLeaser } from '../../lambdas/adapters/dynamo/id-slot-leaser';
import { JournalRepository } from '../../lambdas/adapters/dynamo/journal-repository';
import { IdGenerator } from '../../lambdas/domain/ids';
import { messageIdOf } from '../../lambdas/domain/journal';
import type { QueueKey } from '../../lambdas/domain/model';
import { wiring } from '../support/wiring';
import { newClientId, newMemberId, pendingRecords } from '../support/fixtures';

/**
 * Fault injection on a real client: DynamoDB Local serves every call except the ones a
 * middleware fails on purpose, so the table's real state can be checked afterwards.
 */
function faultyJournal(shouldFail: (command: string, input: Record<string, unknown>) => boolean): JournalRepository {
  const cfg = wiring().config;
  const db = documentClient({ region: 'us-east-1', endpoint: cfg.DYNAMODB_ENDPOINT! });
  db.middlewareStack.add(
    (next, context) => async (args) => {
      if (shouldFail(context.commandName ?? '', args.input as Record<string, unknown>)) {
        throw Object.assign(new Error('Throughput exceeded (injected)'), { name: 'ProvisionedThroughputExceededException', $fault: 'client' });
      }
      return next(args);
    },
    { step: 'initialize', name: 'inject-fault' },
  );
  return new JournalRepository(db, cfg.TABLE_JOURNAL, new IdGenerator(new DynamoSlotLeaser(db, cfg.TABLE_REGISTRY)));
}

describe('journal under injected DynamoDB faults', () => {
  it('a clear=0 claim whose conditional delete is throttled leaves the record pending once, with no stray copy', async () => {
    const queue: QueueKey = { memberId: newMemberId(), clientId: newClientId(), connector: '' };
    const data = { FIELDS: { ID: 1 } };
    await wiring().journal.write(queue, [{ eventName: 'ONCRMDEALADD', eventData: data, eventAdditional: {}, messageId: messageIdOf('ONCRMDEALADD', data) }], Date.now());
    const journal = faultyJournal((command, input) => command === 'DeleteItemCommand' && String(input.ConditionExpression ?? '').includes('ver = :ver'));

    const candidates = await pendingRecords(journal, queue);
    await expect(journal.claim(queue, candidates, { clear: false, processId: 'f'.repeat(32), now: Date.now() })).rejects.toMatchObject({
      name: 'ProvisionedThroughputExceededException',
    });

    const all = await wiring().journal.readAll(queue, Date.now());
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ processId: '', eventData: data });
  });

  it('a write that is throttled is reported as not written, the others are written, and a retry lands in the same record', async () => {
    const queue: QueueKey = { memberId: newMemberId(), clientId: newClientId(), connector: '' };
    const data = { FIELDS: { ID: 2 } };
    const write = { eventName: 'ONCRMDEALADD', eventData: data, eventAdditional: {}, messageId: messageIdOf('ONCRMDEALADD', data) };
    const other = { ...write, eventData: { FIELDS: { ID: 3 } }, messageId: messageIdOf('ONCRMDEALADD', { FIELDS: { ID: 3 } }) };
    let failures = 1;
    const journal = faultyJournal((command, input) => command === 'UpdateItemCommand' && (input.Key as { sk: string }).sk === `P#${write.messageId}` && failures-- > 0);
    expect(await journal.write(queue, [write, other], Date.now())).toEqual({
      created: 1,
      merged: 0,
      failed: [{ messageId: write.messageId, error: expect.objectContaining({ name: 'ProvisionedThroughputExceededException' }) }],
    });
    expect(await journal.write(queue, [write], Date.now())).toEqual({ created: 1, merged: 0 });
    expect(await journal.write(queue, [write], Date.now())).toEqual({ created: 0, merged: 1 });
    expect(await wiring().journal.readAll(queue, Date.now())).toHaveLength(2);
  });
});
