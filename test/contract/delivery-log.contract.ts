import { randomBytes } from 'node:crypto';
import { HEALTHY } from '../../lambdas/domain/handler-health';
import type { AttemptFilter, DeliveryAttempt, DeliveryLog } from '../../lambdas/domain/ports';

/** What every DeliveryLog does; run against the DynamoDB adapter and the in-memory fake. */
export function deliveryLogContract(name: string, make: () => DeliveryLog): void {
  const handler = () => `https://${randomBytes(6).toString('hex')}.example.com/h`;

  describe(`DeliveryLog contract: ${name}`, () => {
    it('knows a new handler as healthy and keeps the health it is given', async () => {
      const log = make();
      const h = handler();
      expect(await log.getHealth(h)).toEqual(HEALTHY);
      await log.putHealth(h, { latencyMs: 2500, failures: 2, nextAt: 5000 }, Date.now());
      expect(await log.getHealth(h)).toEqual({ latencyMs: 2500, failures: 2, nextAt: 5000 });
    });

    it('gives a handler’s turn to one of parallel workers, and again once it has passed', async () => {
      const log = make();
      const h = handler();
      const turns = await Promise.all(Array.from({ length: 5 }, () => log.reserveTurn(h, 1000, 3000)));
      expect(turns.filter(Boolean)).toHaveLength(1);
      expect((await log.getHealth(h)).nextAt).toBe(3000);
      expect(await log.reserveTurn(h, 2999, 5000)).toBe(false);
      expect(await log.reserveTurn(h, 3000, 5000)).toBe(true);
    });

    const attempt = (memberId: string, at: number, over: Partial<DeliveryAttempt> = {}): DeliveryAttempt => ({
      memberId,
      clientId: 'app.a',
      bindingId: 1,
      event: 'ONCRMDEALADD',
      handler: 'https://h.example.com/',
      deliveryId: `msg_${at}`,
      attempt: 1,
      status: 200,
      latencyMs: 5,
      ok: true,
      at,
      outcome: 'delivered',
      userId: 3,
      data: { FIELDS: { ID: at } },
      ts: Math.floor(at / 1000),
      ...over,
    });

    it('lists an application’s attempts newest first, up to the limit, payload included', async () => {
      const log = make();
      const memberId = randomBytes(16).toString('hex');
      for (const at of [3000, 1000, 2000]) await log.recordAttempt(attempt(memberId, at));
      await log.recordAttempt(attempt(memberId, 4000, { clientId: 'app.b' }));
      expect((await log.listAttempts(memberId, 'app.a', 10)).map((a) => a.at)).toEqual([3000, 2000, 1000]);
      expect(await log.listAttempts(memberId, 'app.a', 2)).toEqual([attempt(memberId, 3000), attempt(memberId, 2000)]);
    });

    it('filters by status, event, handler, dates and bindings, counts, and merges every delivery newest first', async () => {
      const log = make();
      const memberId = randomBytes(16).toString('hex');
      // Many deliveries, so they spread over the adapter's shards.
      for (let i = 1; i <= 40; i++) {
        await log.recordAttempt(
          attempt(memberId, 1000 * i, { outcome: i % 4 === 0 ? 'failed' : 'delivered', ok: i % 4 !== 0, event: i % 2 ? 'ONCRMDEALADD' : 'ONCRMDEALUPDATE', handler: i % 5 ? 'https://h.example.com/' : 'https://g.example.com/', bindingId: i % 3 }),
        );
      }
      const ats = async (filter: AttemptFilter, limit = 100) => (await log.listAttempts(memberId, 'app.a', limit, filter)).map((a) => a.at / 1000);
      expect(await ats({}, 5)).toEqual([40, 39, 38, 37, 36]);
      expect(await ats({ outcomes: ['failed'] })).toEqual([40, 36, 32, 28, 24, 20, 16, 12, 8, 4]);
      expect(await ats({ outcomes: ['failed'], event: 'ONCRMDEALUPDATE', handler: 'https://g.example.com/' })).toEqual([40, 20]);
      expect(await ats({ from: 10_000, before: 14_000 })).toEqual([13, 12, 11, 10]);
      expect(await ats({ bindingIds: [0], before: 20_000 })).toEqual([18, 15, 12, 9, 6, 3]);
      expect(await log.countAttempts(memberId, 'app.a', { outcomes: ['failed'] })).toBe(10);
      expect(await log.countAttempts(memberId, 'app.a', { bindingIds: [0] })).toBe(13);
      expect(await log.countAttempts(memberId, 'app.b', {})).toBe(0);
    });

    it('finds the newest attempt of a delivery, only in its own application', async () => {
      const log = make();
      const memberId = randomBytes(16).toString('hex');
      await log.recordAttempt(attempt(memberId, 1000, { deliveryId: 'msg_x', outcome: 'deferred', ok: false, status: 500 }));
      await log.recordAttempt(attempt(memberId, 2000, { deliveryId: 'msg_x', attempt: 2, outcome: 'fallback', ok: false, status: 0, fallback: { connector: '' } }));
      await log.recordAttempt(attempt(memberId, 3000, { deliveryId: 'msg_y' }));
      expect(await log.findDelivery(memberId, 'app.a', 'msg_x')).toEqual(attempt(memberId, 2000, { deliveryId: 'msg_x', attempt: 2, outcome: 'fallback', ok: false, status: 0, fallback: { connector: '' } }));
      expect(await log.findDelivery(memberId, 'app.b', 'msg_x')).toBeUndefined();
      expect(await log.findDelivery(randomBytes(16).toString('hex'), 'app.a', 'msg_x')).toBeUndefined();
    });

    it('switches a handler off per application, keeps it through health writes, and on again with a fresh start', async () => {
      const log = make();
      const h = handler();
      await log.putHealth(h, { latencyMs: 30, failures: 5, nextAt: 9000, failingSince: 1000 }, Date.now());
      await log.switchOff(h, 'm1', 'app.a', { at: 5000, reason: 'the handler answered 410 Gone' });
      await log.putHealth(h, { latencyMs: 40, failures: 6, nextAt: 9500, failingSince: 1000 }, Date.now());
      expect(await log.getHealth(h)).toEqual({ latencyMs: 40, failures: 6, nextAt: 9500, failingSince: 1000, off: { 'm1#app.a': { at: 5000, reason: 'the handler answered 410 Gone' } } });
      expect(await log.switchOn(h, 'm1', 'app.b', 6000)).toBe(false);
      expect(await log.switchOn(h, 'm1', 'app.a', 6000)).toBe(true);
      expect(await log.getHealth(h)).toEqual({ latencyMs: 40, failures: 0, nextAt: 0 });
    });
  });
}
