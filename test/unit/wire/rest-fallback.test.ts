import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { restFallback } from '../../../lambdas/handlers/rest-fallback';
import { restMethods } from '../../../lambdas/method-list';

const handler = restFallback(new Set(restMethods().map((m) => m.name)));

const call = (rawPath: string, rawQueryString = '') =>
  handler({ rawPath, rawQueryString, requestContext: { stage: '$default' } } as unknown as APIGatewayProxyEventV2);

describe('the /rest/{proxy+} fallback route (AWS)', () => {
  it.each([
    ['/rest/Event.Bind', '/rest/event.bind'],
    ['/rest/event.bind/', '/rest/event.bind'],
    ['/rest/EVENT.OFFLINE.GET.json', '/rest/event.offline.get.json'],
    ['/rest/1/abcdef0123456789abcdef0123456789/Event.Get/', '/rest/1/abcdef0123456789abcdef0123456789/event.get'],
  ])('sends %s to %s with a 308, keeping the query', async (path, canonical) => {
    const reply = await call(path, 'auth=t&event=ONCRMDEALADD');
    expect(reply.statusCode).toBe(308);
    expect(reply.headers!.location).toBe(`${canonical}?auth=t&event=ONCRMDEALADD`);
  });

  it.each(['/rest/no.such.method', '/rest/event.bind', '/rest/', '/rest/a/b/c/d'])('answers %s with ERROR_METHOD_NOT_FOUND', async (path) => {
    const reply = await call(path);
    expect(reply.statusCode).toBe(404);
    expect(JSON.parse(reply.body!)).toMatchObject({ error: 'ERROR_METHOD_NOT_FOUND' });
  });

  it('answers GET /health, the route it also serves, with {"status":"ok"} and no caching', async () => {
    const reply = await call('/health');
    expect(reply).toMatchObject({ statusCode: 200, headers: { 'cache-control': 'no-store' } });
    expect(JSON.parse(reply.body!)).toEqual({ status: 'ok' });
  });
});
