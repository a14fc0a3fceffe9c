import { randomBytes } from 'node:crypto';
import type { NewBinding } from '../../lambdas/domain/bindings';
import { BitrixError } from '../../lambdas/domain/errors';
import type { BindingStore } from '../../lambdas/domain/ports';

/** A binding to store: an online one of ONCRMDEALADD unless `over` says otherwise. */
export const newBinding = (memberId: string, clientId: string, over: Partial<NewBinding> = {}): NewBinding => ({
  memberId,
  clientId,
  event: 'ONCRMDEALADD',
  offline: false,
  handler: 'https://hooks.example.com/a',
  userId: 0,
  connector: '',
  options: {},
  ...over,
});

/** What every BindingStore does; run against the DynamoDB adapter and the in-memory fake. */
export function bindingStoreContract(name: string, make: () => BindingStore): void {
  const memberId = () => randomBytes(16).toString('hex');
  const clientId = () => `local.${randomBytes(6).toString('hex')}`;
  const binding = newBinding;

  describe(`BindingStore contract: ${name}`, () => {
    it('stores a binding once: the same (application, event, handler, user, connector) again is ERROR_CORE', async () => {
      const store = make();
      const [m, c] = [memberId(), clientId()];
      const before = Date.now();
      const created = await store.create(binding(m, c), Date.now());
      expect(created).toMatchObject({ ...binding(m, c), id: expect.any(Number) });
      expect(created.createdAt).toBeGreaterThanOrEqual(before);
      const duplicate = store.create(binding(m, c), Date.now());
      await expect(duplicate).rejects.toBeInstanceOf(BitrixError);
      await expect(store.create(binding(m, c), Date.now())).rejects.toMatchObject({ code: 'ERROR_CORE', description: 'Unable to set event handler: Handler already binded' });
      // Any difference in the identity makes another binding.
      await store.create(binding(m, c, { userId: 5 }), Date.now());
      await store.create(binding(m, c, { connector: 'c' }), Date.now());
      await store.create(binding(m, c, { handler: 'https://hooks.example.com/b' }), Date.now());
      await store.create(binding(m, c, { offline: true, handler: '' }), Date.now());
      await store.create(binding(m, clientId()), Date.now());
      expect(await store.listByEvent(m, 'ONCRMDEALADD')).toHaveLength(6);
    });

    it('options do not make a binding different', async () => {
      const store = make();
      const [m, c] = [memberId(), clientId()];
      await store.create(binding(m, c, { event: 'ONOFFLINEEVENT', options: { minTimeout: 1 } }), Date.now());
      await expect(store.create(binding(m, c, { event: 'ONOFFLINEEVENT', options: { minTimeout: 5 } }), Date.now())).rejects.toMatchObject({ code: 'ERROR_CORE' });
    });

    it('fans out by (portal, event) only, in creation order', async () => {
      const store = make();
      const [m, c] = [memberId(), clientId()];
      const handlers = ['https://z.example.com/', 'https://a.example.com/', 'https://m.example.com/'];
      for (const handler of handlers) await store.create(binding(m, c, { handler }), Date.now());
      await store.create(binding(m, c, { event: 'ONCRMDEALADDX' }), Date.now());
      await store.create(binding(memberId(), c), Date.now());
      const found = await store.listByEvent(m, 'ONCRMDEALADD');
      expect(found.map((b) => b.handler)).toEqual(handlers);
      expect(found.every((b) => b.memberId === m && b.event === 'ONCRMDEALADD')).toBe(true);
    });

    it('lists an application’s bindings in creation order with growing ids, and deletes one', async () => {
      const store = make();
      const [m, c] = [memberId(), clientId()];
      const events = ['ONTASKADD', 'ONCRMDEALADD', 'ONAPPTEST', 'ONCRMLEADADD'];
      for (const event of events) await store.create(binding(m, c, { event }), Date.now());
      await store.create(binding(m, clientId()), Date.now());
      const listed = await store.listByApplication(m, c);
      expect(listed.map((b) => b.event)).toEqual(events);
      const ids = listed.map((b) => b.id);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(new Set(ids).size).toBe(4);
      await store.delete(listed[1]!);
      expect((await store.listByApplication(m, c)).map((b) => b.event)).toEqual(['ONTASKADD', 'ONAPPTEST', 'ONCRMLEADADD']);
      expect(await store.listByEvent(m, 'ONCRMDEALADD')).toHaveLength(1);
      // Deleted, the same binding may be created again.
      await store.create(binding(m, c, { event: 'ONCRMDEALADD' }), Date.now());
    });

    it('stores connectors with any characters and options as given', async () => {
      const store = make();
      const [m, c] = [memberId(), clientId()];
      await store.create(binding(m, c, { event: 'ONOFFLINEEVENT', connector: 'a#b/ c', options: { minTimeout: 0, format: 'json' } }), Date.now());
      const [stored] = await store.listByApplication(m, c);
      expect(stored).toMatchObject({ connector: 'a#b/ c', options: { minTimeout: 0, format: 'json' } });
    });
  });
}
