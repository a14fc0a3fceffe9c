import type { LedgerClaim, PublishLedger } from '../../../lambdas/domain/ports';

interface Row {
  hash: string;
  done: string[];
  exp?: number;
  lockBy?: string;
  lockUntil?: number;
}

/**
 * PublishLedger in memory, as adapters/dynamo/publish-ledger-repository.ts behaves: `begin`
 * refuses while another request holds the message (`busy` for the same version, `other` for
 * another); otherwise it takes it, returning what was written when it repeats the version
 * last published within the window, nothing for a new version. `finish` stores the targets
 * and the window's end only while the request still holds the message. Message ids are
 * case-insensitive.
 */
export class MemoryPublishLedger implements PublishLedger {
  readonly rows = new Map<string, Row>();

  async begin(memberId: string, messageId: string, hash: string, request: string, now: number, lockMs: number, _windowMs?: number): Promise<LedgerClaim> {
    const key = `${memberId}#${messageId.toLowerCase()}`;
    const row = this.rows.get(key);
    if (row?.lockUntil !== undefined && row.lockUntil > now) return row.hash === hash ? 'busy' : 'other';
    const retry = row !== undefined && row.hash === hash && row.exp !== undefined && row.exp > now;
    const done = retry ? [...row.done] : [];
    this.rows.set(key, { hash, done, ...(retry ? { exp: row.exp } : {}), lockBy: request, lockUntil: now + lockMs });
    return { done };
  }

  async finish(memberId: string, messageId: string, request: string, done: string[], now: number, windowMs: number): Promise<void> {
    const key = `${memberId}#${messageId.toLowerCase()}`;
    const row = this.rows.get(key);
    if (row?.lockBy !== request) return;
    this.rows.set(key, { hash: row.hash, done: [...done], exp: now + windowMs });
  }
}
