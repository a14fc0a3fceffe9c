import { EventCatalog } from '../../../lambdas/domain/catalog';

describe('EventCatalog', () => {
  const catalog = EventCatalog.withExtension({ onMyThingAdd: 'mything' });

  it('lists the granted scopes plus the global events by default', () => {
    const events = catalog.list({ grantedScopes: ['task'] });
    expect(events).toContain('ONTASKADD');
    expect(events).toContain('ONOFFLINEEVENT');
    expect(events).not.toContain('ONCRMDEALADD');
  });

  it('limits to one scope with SCOPE and returns everything with FULL', () => {
    expect(catalog.list({ scope: 'USER', grantedScopes: [] })).toEqual(['ONUSERADD']);
    const full = catalog.list({ full: true, grantedScopes: [] });
    expect(full).toEqual(expect.arrayContaining(['ONCRMDEALADD', 'ONTASKADD', 'ONMYTHINGADD']));
  });

  it('is extended by operators: names are upper-cased', () => {
    expect(catalog.scopeOf('onmythingadd')).toBe('mything');
    expect(catalog.isAvailable('ONMYTHINGADD', ['mything'])).toBe(true);
    expect(catalog.isAvailable('ONMYTHINGADD', ['crm'])).toBe(false);
  });
});
