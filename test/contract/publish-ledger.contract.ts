import { randomBytes } from 'node:crypto';
import type { PublishLedger } from '../../lambdas/domain/ports';

/** What every PublishLedger does; run against the DynamoDB adapter and the in-memory fake. */
export function publishLedgerContract(name: string, make: () => PublishLedger): void {
  const hex = () => randomBytes(16).toString('hex');
  const LOCK = 30_000;
  const WINDOW = 3_600_000;
  const [V1, V2] = ['1'.repeat(32), '2'.repeat(32)];

  describe(`PublishLedger contract: ${name}`, () => {
    it('gives a message to one of parallel requests, and what it wrote to a retry of the same version', async () => {
      const ledger = make();
      const [member, message] = [hex(), hex()];
      const begun = await Promise.all(['a', 'b', 'c'].map((r) => ledger.begin(member, message, V1, r, 1000, LOCK, WINDOW)));
      expect(begun.filter((b) => b !== 'busy')).toEqual([{ done: [] }]);
      expect(await ledger.begin(member, message, V2, 'x', 1000, LOCK, WINDOW)).toBe('other'); // another version, while held
      const owner = ['a', 'b', 'c'][begun.findIndex((b) => b !== 'busy')]!;
      await ledger.finish(member, message, owner, ['d1.0', 'q2 sync'], 2000, WINDOW);
      expect(await ledger.begin(member, message.toUpperCase(), V1, 'd', 3000, LOCK, WINDOW)).toEqual({ done: ['d1.0', 'q2 sync'] });
      expect(await ledger.begin(hex(), message, V1, 'e', 3000, LOCK, WINDOW)).toEqual({ done: [] }); // another portal
    });

    it('starts a new version with nothing written, and A → B → A publishes A again', async () => {
      const ledger = make();
      const [member, message] = [hex(), hex()];
      await ledger.begin(member, message, V1, 'a', 1000, LOCK, WINDOW);
      await ledger.finish(member, message, 'a', ['d1.0'], 1000, WINDOW);
      expect(await ledger.begin(member, message, V2, 'b', 2000, LOCK, WINDOW)).toEqual({ done: [] });
      await ledger.finish(member, message, 'b', ['d1.0'], 2000, WINDOW);
      expect(await ledger.begin(member, message, V1, 'c', 3000, LOCK, WINDOW)).toEqual({ done: [] });
    });

    it('lets a message go when its holder dies (lock runs out), and forgets it after the window', async () => {
      const ledger = make();
      const [member, message] = [hex(), hex()];
      await ledger.begin(member, message, V1, 'a', 1000, LOCK, WINDOW);
      expect(await ledger.begin(member, message, V1, 'b', 1000 + LOCK - 1, LOCK, WINDOW)).toBe('busy');
      expect(await ledger.begin(member, message, V1, 'b', 1000 + LOCK, LOCK, WINDOW)).toEqual({ done: [] }); // a never finished
      await ledger.finish(member, message, 'a', ['d9.0'], 1000 + LOCK + 1, WINDOW); // too late: b holds it
      await ledger.finish(member, message, 'b', ['d1.0'], 40_000, WINDOW);
      expect(await ledger.begin(member, message, V1, 'c', 40_000 + WINDOW - 1, LOCK, WINDOW)).toEqual({ done: ['d1.0'] });
      await ledger.finish(member, message, 'c', ['d1.0'], 40_000 + WINDOW - 1, 1);
      expect(await ledger.begin(member, message, V1, 'd', 40_000 + WINDOW + 10, LOCK, WINDOW)).toEqual({ done: [] });
    });
  });
}
