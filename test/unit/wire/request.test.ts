import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { BitrixError } from '../../../lambdas/domain/errors';
import { parseParams, parseRestCall, parseRestPath } from '../../../lambdas/wire/request';
import { httpStatus } from '../../../lambdas/wire/response';

function event(over: Partial<APIGatewayProxyEventV2> & { contentType?: string } = {}): APIGatewayProxyEventV2 {
  const { contentType, ...rest } = over;
  return {
    version: '2.0',
    routeKey: 'ANY /rest/{proxy+}',
    rawPath: '/rest/event.get',
    rawQueryString: '',
    headers: contentType ? { 'content-type': contentType } : {},
    isBase64Encoded: false,
    requestContext: {} as APIGatewayProxyEventV2['requestContext'],
    ...rest,
  };
}

describe('parseRestPath', () => {
  it.each([
    ['/rest/event.bind', 'event.bind', undefined],
    ['/rest/Event.Bind.json', 'event.bind', undefined],
    ['/rest/event.offline.get/', 'event.offline.get', undefined],
    ['/rest/12/abc123/event.get', 'event.get', { userId: 12, secret: 'abc123' }],
    ['/rest/12/abc123/EVENT.GET.json/', 'event.get', { userId: 12, secret: 'abc123' }],
  ])('%s → %s', (path, method, webhook) => {
    expect(parseRestPath(path)).toEqual({ method, ...(webhook ? { webhook } : {}) });
  });

  it('does not match other paths', () => {
    expect(parseRestPath('/producer/events')).toBeUndefined();
    expect(parseRestPath('/rest/')).toBeUndefined();
    expect(parseRestPath('/rest/a/b/c/d')).toBeUndefined();
  });
});

describe('parseParams', () => {
  it('merges the query with a PHP-style form body; the body wins; names are case-insensitive', () => {
    const params = parseParams(
      event({
        rawQueryString: 'EVENT=ONCRMDEALADD&bx24_request_id=1&filter%5B%3E%3DID%5D=5',
        body: 'event=ONTASKADD&options[minTimeout]=5&message_id[]=a&message_id[]=b',
        contentType: 'application/x-www-form-urlencoded',
      }),
      1024,
    );
    expect(params).toEqual({
      event: 'ONTASKADD',
      bx24_request_id: '1',
      filter: { '>=ID': '5' },
      options: { minTimeout: '5' },
      message_id: ['a', 'b'],
    });
  });

  it('reads JSON bodies (also base64-encoded, as API Gateway sends them)', () => {
    const body = Buffer.from(JSON.stringify({ FILTER: { ID: 1 }, limit: 5 })).toString('base64');
    expect(parseParams(event({ body, isBase64Encoded: true, contentType: 'application/json; charset=utf-8' }), 1024)).toEqual({ filter: { ID: 1 }, limit: 5 });
  });

  it.each([
    ['{bad', 'not valid JSON'],
    ['[1,2]', 'JSON object'],
    ['"text"', 'JSON object'],
  ])('refuses the JSON body %s with 400', (body, words) => {
    expect(() => parseParams(event({ body, contentType: 'application/json' }), 1024)).toThrow(words);
  });

  it('refuses a body over the bound with 413', () => {
    let error: unknown;
    try {
      parseParams(event({ body: 'x'.repeat(2000), contentType: 'application/x-www-form-urlencoded' }), 1024);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BitrixError);
    expect(httpStatus(error as BitrixError)).toBe(413);
  });

  it('bounds nesting: deep keys stay flat strings instead of deep objects', () => {
    const deep = `a${'[x]'.repeat(50)}=1`;
    const params = parseParams(event({ rawQueryString: deep }), 1024);
    let depth = 0;
    let node: unknown = params.a;
    while (typeof node === 'object' && node !== null) {
      node = Object.values(node)[0];
      depth++;
    }
    expect(depth).toBeLessThanOrEqual(9);
  });
});

describe('parseRestCall credentials', () => {
  it('takes auth out of the parameters', () => {
    const call = parseRestCall(event({ rawQueryString: 'auth=tok&event=X' }), 1024);
    expect(call.credential).toEqual({ type: 'token', token: 'tok' });
    expect(call.params).toEqual({ event: 'X' });
  });

  it('accepts access_token and Authorization: Bearer', () => {
    expect(parseRestCall(event({ rawQueryString: 'access_token=a1' }), 1024).credential).toEqual({ type: 'token', token: 'a1' });
    expect(parseRestCall(event({ headers: { authorization: 'Bearer b2' } }), 1024).credential).toEqual({ type: 'token', token: 'b2' });
  });

  it('prefers the webhook path and still removes auth parameters', () => {
    const call = parseRestCall(event({ rawPath: '/rest/3/s3cret/event.get', rawQueryString: 'auth=x' }), 1024);
    expect(call.credential).toEqual({ type: 'webhook', userId: 3, secret: 's3cret' });
    expect(call.params).toEqual({});
  });

  it('reports no credential', () => {
    expect(parseRestCall(event(), 1024).credential).toEqual({ type: 'none' });
  });
});
