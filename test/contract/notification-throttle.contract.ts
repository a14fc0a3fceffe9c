import { randomBytes } from 'node:crypto';
import type { NotificationThrottle } from '../../lambdas/domain/ports';

/** What every NotificationThrottle does; run against the DynamoDB adapter and the in-memory fake. */
export function notificationThrottleContract(name: string, make: () => NotificationThrottle): void {
  const key = () => `${randomBytes(16).toString('hex')}#1`;
  const change = { event: 'ONCRMDEALADD', type: 'add' as const };

  describe(`NotificationThrottle contract: ${name}`, () => {
    it('leads once per window; of parallel callers exactly one leads', async () => {
      const store = make();
      const k = key();
      const leads = await Promise.all(Array.from({ length: 5 }, () => store.tryLead(k, 1000, 6000)));
      expect(leads.filter(Boolean)).toHaveLength(1);
      expect(await store.tryLead(k, 5999, 10_999)).toBe(false);
      expect(await store.tryLead(k, 6000, 11_000)).toBe(true);
    });

    it('marks one trailing notification per window and keeps its change until closed', async () => {
      const store = make();
      const k = key();
      expect(await store.tryTrail(k, 1000, change)).toBeUndefined(); // no window yet
      await store.tryLead(k, 1000, 6000);
      const trails = await Promise.all(Array.from({ length: 5 }, () => store.tryTrail(k, 2000, change)));
      expect(trails.filter((t) => t !== undefined)).toEqual([6000]);
      expect(await store.pendingTrailing(k, 6000)).toEqual(change);
      expect(await store.pendingTrailing(k, 5000)).toBeUndefined();
      expect(await store.closeTrailing(k, 6000, 12_000)).toBe(true);
      expect(await store.closeTrailing(k, 6000, 12_000)).toBe(false);
      expect(await store.pendingTrailing(k, 6000)).toBeUndefined();
      expect(await store.tryLead(k, 11_999, 20_000)).toBe(false);
      expect(await store.tryTrail(k, 11_000, { event: 'ONTASKADD', type: 'update' })).toBe(12_000);
    });

    it('a lead after the window supersedes a trailing notification that has not run', async () => {
      const store = make();
      const k = key();
      await store.tryLead(k, 1000, 6000);
      await store.tryTrail(k, 2000, change);
      expect(await store.tryLead(k, 7000, 12_000)).toBe(true);
      expect(await store.pendingTrailing(k, 6000)).toBeUndefined();
      expect(await store.closeTrailing(k, 6000, 0)).toBe(false);
    });

    it('closing with no next window keeps the old end', async () => {
      const store = make();
      const k = key();
      await store.tryLead(k, 1000, 6000);
      await store.tryTrail(k, 2000, change);
      expect(await store.closeTrailing(k, 6000, 0)).toBe(true);
      expect(await store.tryLead(k, 5999, 9000)).toBe(false);
      expect(await store.tryLead(k, 6000, 9000)).toBe(true);
    });
  });
}
