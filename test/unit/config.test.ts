import { parseConfig } from '../../lambdas/config';

const base = { TABLE_REGISTRY: 'r', TABLE_BINDINGS: 'b', TABLE_JOURNAL: 'j', PUBLIC_URL: 'https://api.example.com/' };

describe('parseConfig', () => {
  it('fills defaults and trims the public URL', () => {
    const config = parseConfig(base);
    expect(config).toMatchObject({ PUBLIC_URL: 'https://api.example.com', ACCESS_TOKEN_TTL_SECONDS: 3600, PRODUCER_AUTH: 'iam', CLAIM_LIFETIME_SECONDS: 2592000 });
  });

  it('fails fast naming the missing variable', () => {
    expect(() => parseConfig({ ...base, TABLE_JOURNAL: undefined })).toThrow(/TABLE_JOURNAL/);
    expect(() => parseConfig({ ...base, ACCESS_TOKEN_TTL_SECONDS: 'soon' })).toThrow(/ACCESS_TOKEN_TTL_SECONDS/);
  });

  it('needs a producer key when producers authenticate with one', () => {
    expect(() => parseConfig({ ...base, PRODUCER_AUTH: 'key' })).toThrow(/PRODUCER_KEY/);
    expect(parseConfig({ ...base, PRODUCER_AUTH: 'key', PRODUCER_KEY: 'k'.repeat(16) }).PRODUCER_KEY).toBe('k'.repeat(16));
  });
});
