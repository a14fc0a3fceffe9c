import { BitrixError } from '../../lambdas/domain/errors';
import { wiring } from '../support/wiring';
import { newClientId, newMemberId } from '../support/fixtures';
import { newBinding } from '../contract/binding-store.contract';

const repo = () => wiring().bindings;

const binding = newBinding;

describe('BindingRepository (DynamoDB Local)', () => {
  it('stores a binding once: the same (application, event, handler, user, connector) again is ERROR_CORE', async () => {
    const memberId = newMemberId();
    const clientId = newClientId();
    await repo().create(binding(memberId, clientId), Date.now());
    await expect(repo().create(binding(memberId, clientId), Date.now())).rejects.toMatchObject({ code: 'ERROR_CORE', description: 'Unable to set event handler: Handler already binded' });
    await expect(repo().create(binding(memberId, clientId), Date.now())).rejects.toBeInstanceOf(BitrixError);
    // Any difference in the identity makes another binding.
    await repo().create(binding(memberId, clientId, { userId: 5 }), Date.now());
    await repo().create(binding(memberId, clientId, { connector: 'c' }), Date.now());
    await repo().create(binding(memberId, clientId, { handler: 'https://hooks.example.com/b' }), Date.now());
    await repo().create(binding(memberId, newClientId()), Date.now());
    expect(await repo().listByEvent(memberId, 'ONCRMDEALADD')).toHaveLength(5);
  });

  it('fans out by (portal, event) only', async () => {
    const memberId = newMemberId();
    const clientId = newClientId();
    await repo().create(binding(memberId, clientId, { event: 'ONCRMDEALADD' }), Date.now());
    await repo().create(binding(memberId, clientId, { event: 'ONCRMDEALADDX' }), Date.now());
    await repo().create(binding(newMemberId(), clientId, { event: 'ONCRMDEALADD' }), Date.now());
    const found = await repo().listByEvent(memberId, 'ONCRMDEALADD');
    expect(found.map((b) => [b.memberId, b.event])).toEqual([[memberId, 'ONCRMDEALADD']]);
  });

  it('lists an application’s bindings in creation order with growing ids, and deletes', async () => {
    const memberId = newMemberId();
    const clientId = newClientId();
    const events = ['ONTASKADD', 'ONCRMDEALADD', 'ONAPPTEST', 'ONCRMLEADADD'];
    for (const event of events) await repo().create(binding(memberId, clientId, { event }), Date.now());
    const listed = await repo().listByApplication(memberId, clientId);
    expect(listed.map((b) => b.event)).toEqual(events);
    expect(listed.map((b) => b.id)).toEqual([...listed.map((b) => b.id)].sort((a, b) => a - b));
    await repo().delete(listed[1]!);
    expect((await repo().listByApplication(memberId, clientId)).map((b) => b.event)).toEqual(['ONTASKADD', 'ONAPPTEST', 'ONCRMLEADADD']);
  });

  it('stores connectors with any characters, options as given and the creation time it is handed', async () => {
    const memberId = newMemberId();
    const clientId = newClientId();
    const createdAt = 1_800_000_000_000;
    await repo().create(binding(memberId, clientId, { event: 'ONOFFLINEEVENT', connector: 'a#b/ c', options: { minTimeout: 0 } }), createdAt);
    const [stored] = await repo().listByApplication(memberId, clientId);
    // The creation time is the caller's `now`, not the adapter's clock.
    expect(stored).toMatchObject({ connector: 'a#b/ c', options: { minTimeout: 0 }, createdAt });
  });
});
