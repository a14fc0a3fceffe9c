import qs from 'qs';
import { Webhook } from 'standardwebhooks';
import { buildPayload, encodePayload, newSigningSecret, signatureHeaders, tokenGrant } from '../../../lambdas/domain/delivery';

const context = {
  domain: 'portal.example.com',
  client_endpoint: 'https://hub.example.com/rest/',
  server_endpoint: 'https://hub.example.com/oauth/',
  member_id: 'a'.repeat(32),
  application_token: 't'.repeat(32),
  status: 'L',
};
const tokens = { access_token: 'A'.repeat(64), expires: 1_800_000_000, expires_in: 3600, scope: 'crm,task', user_id: 7 };

describe('delivery payload (docs/delivery.md)', () => {
  it('decides tokens in one place: user events carry an access token, application events a refresh token too, uninstall none', () => {
    expect(tokenGrant('ONCRMDEALADD', 7)).toBe('access');
    expect(tokenGrant('ONCRMDEALADD', 0)).toBe('none');
    for (const event of ['ONAPPINSTALL', 'ONAPPUPDATE', 'ONAPPTEST', 'ONOFFLINEEVENT']) expect(tokenGrant(event, 7)).toBe('access+refresh');
    expect(tokenGrant('ONAPPUNINSTALL', 7)).toBe('none');
  });

  it('encodes PHP-style nested keys that $_REQUEST reads back exactly', () => {
    const payload = buildPayload({ event: 'ONCRMDEALADD', bindingId: 12, data: { FIELDS: { ID: 7405, TAGS: ['a', 'b'] } }, ts: 1_700_000_000, context, tokens });
    const { body, contentType } = encodePayload(payload, 'form');
    expect(contentType).toBe('application/x-www-form-urlencoded');
    expect(body).toContain('data%5BFIELDS%5D%5BID%5D=7405');
    expect(body).toContain(`auth%5Bapplication_token%5D=${'t'.repeat(32)}`);
    // What PHP's parse_str gives: every scalar as a string, arrays by index.
    expect(qs.parse(body)).toEqual({
      event: 'ONCRMDEALADD',
      event_handler_id: '12',
      data: { FIELDS: { ID: '7405', TAGS: ['a', 'b'] } },
      ts: '1700000000',
      auth: {
        access_token: 'A'.repeat(64),
        expires: '1800000000',
        expires_in: '3600',
        scope: 'crm,task',
        domain: 'portal.example.com',
        server_endpoint: 'https://hub.example.com/oauth/',
        status: 'L',
        client_endpoint: 'https://hub.example.com/rest/',
        member_id: 'a'.repeat(32),
        user_id: '7',
        application_token: 't'.repeat(32),
      },
    });
  });

  it('leaves tokens out without a user, and writes JSON when asked', () => {
    const payload = buildPayload({ event: 'ONCRMDEALADD', bindingId: 1, data: {}, ts: 1, context });
    expect(Object.keys(payload.auth).sort()).toEqual(['application_token', 'client_endpoint', 'domain', 'member_id', 'server_endpoint', 'status']);
    const { body, contentType } = encodePayload(payload, 'json');
    expect(contentType).toBe('application/json');
    expect(JSON.parse(body)).toEqual(payload);
  });

  it('writes booleans and nulls the PHP way in forms and keeps JSON types in JSON', () => {
    const payload = buildPayload({ event: 'ONCRMDEALADD', bindingId: 1, data: { FIELDS: { YES: true, NO: false, NOTHING: null, TAGS: [] } }, ts: 1, context });
    const form = encodePayload(payload, 'form').body;
    expect(form).toContain('data%5BFIELDS%5D%5BYES%5D=1&data%5BFIELDS%5D%5BNO%5D=0&ts=1');
    expect(form).not.toContain('NOTHING');
    expect(form).not.toContain('TAGS');
    expect(JSON.parse(encodePayload(payload, 'json').body).data).toEqual({ FIELDS: { YES: true, NO: false, NOTHING: null, TAGS: [] } });
  });

  it('signs with Standard Webhooks headers that the reference library verifies', () => {
    const secret = newSigningSecret();
    // The reference library parses the body as JSON after checking it; the signature covers
    // the raw body whatever its encoding.
    const body = JSON.stringify({ event: 'ONCRMDEALADD', data: { FIELDS: { ID: 1 } } });
    const now = Math.floor(Date.now() / 1000);
    const headers = signatureHeaders(secret, 'msg_1', now, body);
    expect(new Webhook(secret).verify(body, headers)).toBeDefined();
    expect(() => new Webhook(secret).verify(body.replace('1', '2'), headers)).toThrow('No matching signature found');
    expect(() => new Webhook(newSigningSecret()).verify(body, headers)).toThrow('No matching signature found');
  });
});
