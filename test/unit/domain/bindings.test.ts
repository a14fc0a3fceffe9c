import { checkHandlerUrl, planBinding, unbindMatcher, visibleBindings, type BindRequest } from '../../../lambdas/domain/bindings';
import { EventCatalog } from '../../../lambdas/domain/catalog';
import { BitrixError } from '../../../lambdas/domain/errors';
import type { Binding, Caller, Installation } from '../../../lambdas/domain/model';
import { httpStatus } from '../../../lambdas/wire/response';
import { wireBinding } from '../../../lambdas/wire/shapes';

const catalog = EventCatalog.withExtension();

function caller(overrides: Partial<Caller> = {}, installation: Partial<Installation> = {}): Caller {
  return {
    memberId: 'm'.repeat(32),
    clientId: 'local.app',
    userId: 7,
    admin: true,
    credentialKind: 'access',
    installation: {
      memberId: 'm'.repeat(32),
      clientId: 'local.app',
      domain: 'x.example.com',
      applicationToken: 't',
      scopes: ['crm'],
      status: 'L',
      handlerHosts: [],
      installerUserId: 1,
      generation: 'g',
      connectors: [],
      webhooks: {},
      admins: [7],
      signingSecret: 'whsec_a2V5',
      installedAt: 0,
      ...installation,
    },
    ...overrides,
  };
}

const online = (over: Partial<BindRequest> = {}): BindRequest => ({
  event: 'onCrmDealAdd',
  handler: 'https://hooks.example.com/h',
  eventType: 'online',
  connector: '',
  ...over,
});

function codeOf(fn: () => unknown): { code: string; status: number; description: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof BitrixError) return { code: error.code, status: httpStatus(error), description: error.description };
    throw error;
  }
  throw new Error('expected a BitrixError');
}

describe('planBinding (event.bind rules)', () => {
  it('upper-cases the event and keeps handler, user 0 and connector for an administrator', () => {
    const planned = planBinding(caller(), online({ connector: 'c1' }), catalog);
    expect(planned).toMatchObject({ event: 'ONCRMDEALADD', offline: false, handler: 'https://hooks.example.com/h', userId: 0, connector: 'c1', options: {} });
  });

  it('binds a non-administrator for himself whatever auth_type 0 or his own id says', () => {
    expect(planBinding(caller({ admin: false }), online(), catalog).userId).toBe(7);
    expect(planBinding(caller({ admin: false }), online({ authType: 7 }), catalog).userId).toBe(7);
  });

  it('refuses a non-administrator binding for another user with 403 ACCESS_DENIED', () => {
    expect(codeOf(() => planBinding(caller({ admin: false }), online({ authType: 8 }), catalog))).toMatchObject({ code: 'ACCESS_DENIED', status: 403 });
  });

  it('lets an administrator bind for any user', () => {
    expect(planBinding(caller(), online({ authType: 42 }), catalog).userId).toBe(42);
  });

  it('refuses events outside the catalog or the granted scopes with ERROR_EVENT_NOT_FOUND', () => {
    expect(codeOf(() => planBinding(caller(), online({ event: 'ONNOSUCHEVENT' }), catalog)).code).toBe('ERROR_EVENT_NOT_FOUND');
    expect(codeOf(() => planBinding(caller(), online({ event: 'ONTASKADD' }), catalog)).code).toBe('ERROR_EVENT_NOT_FOUND');
  });

  it('offers global events to every application', () => {
    expect(planBinding(caller({}, { scopes: [] }), online({ event: 'onAppUninstall' }), catalog).event).toBe('ONAPPUNINSTALL');
  });

  it('requires the event and, online, the handler', () => {
    expect(codeOf(() => planBinding(caller(), online({ event: ' ' }), catalog))).toMatchObject({ code: 'ERROR_ARGUMENT', description: "Argument 'EVENT' is null or empty" });
    expect(codeOf(() => planBinding(caller(), online({ handler: '' }), catalog))).toMatchObject({ code: 'ERROR_ARGUMENT', description: "Argument 'HANDLER' is null or empty" });
  });

  it('makes offline bindings without handler or user, for administrators only', () => {
    const planned = planBinding(caller(), online({ eventType: 'offline', authType: 5, connector: 'sync' }), catalog);
    expect(planned).toMatchObject({ offline: true, handler: '', userId: 0, connector: 'sync' });
    expect(codeOf(() => planBinding(caller({ admin: false }), online({ eventType: 'offline' }), catalog))).toEqual({
      code: 'ACCESS_DENIED',
      status: 403,
      description: 'Offline events binding requires administrator access rights',
    });
  });

  it('refuses ONOFFLINEEVENT offline', () => {
    expect(codeOf(() => planBinding(caller(), online({ event: 'ONOFFLINEEVENT', eventType: 'offline' }), catalog)).code).toBe('ERROR_ARGUMENT');
  });

  it('takes options[format]=json|form for an online binding and refuses anything else', () => {
    expect(planBinding(caller(), online({ options: { format: 'JSON' } }), catalog).options).toEqual({ format: 'json' });
    expect(planBinding(caller(), online({ event: 'ONOFFLINEEVENT', options: { format: 'form', minTimeout: 5 } }), catalog).options).toEqual({ minTimeout: 5, format: 'form' });
    expect(planBinding(caller(), online({}), catalog).options).toEqual({});
    expect(codeOf(() => planBinding(caller(), online({ options: { format: 'xml' } }), catalog))).toMatchObject({ code: 'ERROR_ARGUMENT', description: 'Option format must be json or form' });
  });

  it('gives ONOFFLINEEVENT minTimeout 1 by default and validates it', () => {
    expect(planBinding(caller(), online({ event: 'ONOFFLINEEVENT' }), catalog).options).toEqual({ minTimeout: 1 });
    expect(planBinding(caller(), online({ event: 'ONOFFLINEEVENT', options: { minTimeout: '0' } }), catalog).options).toEqual({ minTimeout: 0 });
    expect(planBinding(caller(), online({ event: 'ONOFFLINEEVENT', options: { mintimeout: 30 } }), catalog).options).toEqual({ minTimeout: 30 });
    for (const bad of [-1, 1.5, 'soon', 86401, { a: 1 }]) {
      expect(codeOf(() => planBinding(caller(), online({ event: 'ONOFFLINEEVENT', options: { minTimeout: bad } }), catalog)).code).toBe('ERROR_ARGUMENT');
    }
  });

  it('ignores options of other events', () => {
    expect(planBinding(caller(), online({ options: { minTimeout: 'junk' } }), catalog).options).toEqual({});
  });
});

describe('checkHandlerUrl', () => {
  it.each([
    ['ftp://hooks.example.com/h', 'ERROR_UNSUPPORTED_PROTOCOL'],
    ['hooks.example.com/h', 'ERROR_UNSUPPORTED_PROTOCOL'],
    ['javascript:alert(1)', 'ERROR_UNSUPPORTED_PROTOCOL'],
    ['http://localhost/h', 'ERROR_WRONG_HANDLER_URL'],
    ['http://intranet/h', 'ERROR_WRONG_HANDLER_URL'],
    ['http://app.localhost/h', 'ERROR_WRONG_HANDLER_URL'],
    ['https://user:pw@hooks.example.com/h', 'ERROR_WRONG_HANDLER_URL'],
    ['https://', 'ERROR_WRONG_HANDLER_URL'],
  ])('refuses %s with %s', (url, code) => {
    expect(codeOf(() => checkHandlerUrl(url, [])).code).toBe(code);
  });

  it('says how to reach a handler on this machine when the host is localhost', () => {
    expect(codeOf(() => checkHandlerUrl('http://localhost:8080/b24', [])).description).toContain('http://127.0.0.1:8080/');
    expect(() => checkHandlerUrl('http://127.0.0.1:8080/b24', [])).not.toThrow();
  });

  it('accepts http and https public names', () => {
    expect(() => checkHandlerUrl('http://hooks.example.com:8080/h?x=1', [])).not.toThrow();
    expect(() => checkHandlerUrl('https://hooks.example.com/h', [])).not.toThrow();
  });

  it('keeps handlers on the application hosts (or their subdomains) when it declares hosts', () => {
    expect(() => checkHandlerUrl('https://example.com/h', ['example.com'])).not.toThrow();
    expect(() => checkHandlerUrl('https://api.example.com/h', ['example.com'])).not.toThrow();
    expect(codeOf(() => checkHandlerUrl('https://evil-example.com/h', ['example.com'])).code).toBe('ERROR_WRONG_HANDLER_URL');
    expect(codeOf(() => checkHandlerUrl('https://example.com.evil.io/h', ['example.com'])).code).toBe('ERROR_WRONG_HANDLER_URL');
  });
});

const binding = (over: Partial<Binding>): Binding => ({
  memberId: 'm'.repeat(32),
  clientId: 'local.app',
  id: 1,
  event: 'ONCRMDEALADD',
  offline: false,
  handler: 'https://hooks.example.com/h',
  userId: 0,
  connector: '',
  options: {},
  createdAt: 0,
  ...over,
});

describe('unbindMatcher (event.unbind rules)', () => {
  const h = 'https://hooks.example.com/h';

  it('needs the handler for online unbinding', () => {
    expect(codeOf(() => unbindMatcher(caller(), { event: 'ONCRMDEALADD', eventType: 'online' })).description).toBe("Argument 'HANDLER' is null or empty");
  });

  it('lets an administrator remove every user’s bindings of the handler, or narrow by auth_type', () => {
    const all = unbindMatcher(caller(), { event: 'onCrmDealAdd', handler: h, eventType: 'online' });
    expect(all.event).toBe('ONCRMDEALADD');
    expect([binding({ userId: 0 }), binding({ userId: 9 })].filter(all.matches)).toHaveLength(2);
    const onlyNoUser = unbindMatcher(caller(), { event: 'ONCRMDEALADD', handler: h, authType: 0, eventType: 'online' });
    expect([binding({ userId: 0 }), binding({ userId: 9 })].filter(onlyNoUser.matches)).toEqual([binding({ userId: 0 })]);
  });

  it('limits a non-administrator to his own bindings and refuses another user', () => {
    const own = unbindMatcher(caller({ admin: false }), { event: 'ONCRMDEALADD', handler: h, eventType: 'online' });
    expect([binding({ userId: 7 }), binding({ userId: 9 })].filter(own.matches)).toEqual([binding({ userId: 7 })]);
    expect(codeOf(() => unbindMatcher(caller({ admin: false }), { event: 'ONCRMDEALADD', handler: h, authType: 9, eventType: 'online' })).status).toBe(403);
  });

  it('matches offline bindings by connector, administrators only', () => {
    const m = unbindMatcher(caller(), { event: 'ONCRMDEALADD', eventType: 'offline', connector: 'sync' });
    const candidates = [binding({ offline: true, handler: '', connector: 'sync' }), binding({ offline: true, handler: '', connector: '' }), binding({ connector: 'sync' })];
    expect(candidates.filter(m.matches)).toEqual([candidates[0]]);
    expect(codeOf(() => unbindMatcher(caller({ admin: false }), { event: 'ONCRMDEALADD', eventType: 'offline' })).status).toBe(403);
  });
});

describe('visibleBindings and their wire rows (event.get)', () => {
  it('prints online and offline bindings as Bitrix does', () => {
    const rows = visibleBindings(caller(), [binding({ userId: 15 }), binding({ offline: true, handler: '', connector: 'sync' })]).map((b) => wireBinding(b));
    expect(rows).toEqual([
      { event: 'ONCRMDEALADD', handler: 'https://hooks.example.com/h', auth_type: '15', offline: 0 },
      { event: 'ONCRMDEALADD', connector_id: 'sync', offline: 1 },
    ]);
  });

  it('shows a non-administrator only his own bindings', () => {
    const rows = visibleBindings(caller({ admin: false }), [binding({ userId: 7 }), binding({ userId: 0 }), binding({ offline: true })]).map((b) => wireBinding(b));
    expect(rows).toEqual([{ event: 'ONCRMDEALADD', handler: 'https://hooks.example.com/h', auth_type: '7', offline: 0 }]);
  });
});
