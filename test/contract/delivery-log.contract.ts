import { randomBytes } from 'node:crypto';
import { HEALTHY } from '../../lambdas/domain/handler-health';
import type { DeliveryAttempt, DeliveryLog } from '../../lambdas/domain/ports';

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

    it('lists an application’s attempts newest first, up to the limit', async () => {
      const log = make();
      const memberId = randomBytes(16).toString('hex');
      const attempt = (at: number, clientId = 'app.a'): DeliveryAttempt => ({ memberId, clientId, bindingId: 1, event: 'ONCRMDEALADD', handler: 'https://h.example.com/', deliveryId: `msg_${at}`, attempt: 1, status: 200, latencyMs: 5, ok: true, at });
      for (const at of [3000, 1000, 2000]) await log.recordAttempt(attempt(at));
      await log.recordAttempt(attempt(4000, 'app.b'));
      expect((await log.listAttempts(memberId, 'app.a', 10)).map((a) => a.at)).toEqual([3000, 2000, 1000]);
      expect(await log.listAttempts(memberId, 'app.a', 2)).toEqual([attempt(3000), attempt(2000)]);
    });

    it('records a batch of attempts as single ones would be, more than one write request holds (25)', async () => {
      const log = make();
      const memberId = randomBytes(16).toString('hex');
      const attempt = (at: number): DeliveryAttempt => ({ memberId, clientId: 'app.a', bindingId: at % 3, event: 'ONCRMDEALADD', handler: 'https://h.example.com/', deliveryId: `msg_${at}`, attempt: 1, status: at % 2 ? 500 : 200, latencyMs: 5, ok: at % 2 === 0, ...(at % 2 ? { error: 'HTTP 500' } : {}), at });
      const batch = Array.from({ length: 30 }, (_, i) => attempt(1000 + i));
      await log.recordAttempts(batch);
      await log.recordAttempts([]);
      expect(await log.listAttempts(memberId, 'app.a', 100)).toEqual([...batch].reverse());
    });
  });
}
