import fc from 'fast-check';
import { httpBuildQuery, phpFloat, urlencode } from '../../../lambdas/domain/php-query';
import { startPhpWorker, type PhpWorker } from '../../support/php';

/**
 * docs/core-methods.md: every form body is byte for byte what PHP's http_build_query makes of the same
 * value decoded from JSON. Real PHP (php-cli) is the oracle: one process answers every run.
 */
let php: PhpWorker;
let batchPhp: PhpWorker;
beforeAll(() => {
  php = startPhpWorker('return http_build_query($in);');
  // One round trip per run of the property: each run is a batch of values.
  batchPhp = startPhpWorker('return array_map(fn ($v) => http_build_query($v), $in);');
});
afterAll(() => batchPhp.close());
afterAll(() => php.close());

// Keys and strings with what encoding gets wrong: spaces, brackets, &, =, +, %, ~, *, quotes, non-ASCII.
const tricky = fc.constantFrom(' ', '[', ']', '&', '=', '+', '%', '~', '*', '"', "'", '/', '?', '#', 'é', '€', '😀', '\n', '0', '-1', '.', '_');
const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 8 }), fc.array(tricky, { maxLength: 5 }).map((a) => a.join('')), fc.string({ maxLength: 6 }));
const number = fc.oneof(
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, 0.1, 1.5, -2.25, 1e14, 1e15, 123456789012345.6, 1e20, 1e21, 1e-4, 1e-5, 2 ** 53, 2 ** 63, -(2 ** 63), 9.2233720368547758e18, 5e-324, 1.7976931348623157e308),
);
const json = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(true, false, null),
    number,
    text,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(text, tie('value'), { maxKeys: 4 }),
  ),
})).value;
const topLevel = fc.oneof(fc.dictionary(text, json, { maxKeys: 6 }), fc.array(json, { maxLength: 4 }));

describe('httpBuildQuery (PHP http_build_query of json_decode($x, true))', () => {
  it('matches real PHP byte for byte on random JSON values (at least 4,000 values, 50 to 100 per PHP round trip)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(topLevel, { minLength: 50, maxLength: 100 }), async (values) => {
        const fromPhp = (await batchPhp.ask(values)) as string[];
        values.forEach((value, i) => expect(httpBuildQuery(value)).toBe(fromPhp[i]));
      }),
      { numRuns: 80 },
    );
  }, 60_000);

  it('writes booleans as 1 and 0 and leaves null and empty arrays out (the issue’s producer event)', async () => {
    const value = { data: { FIELDS: { YES: true, NO: false, NOTHING: null, EMPTY: [], NONE: {}, ID: 7 } } };
    const body = httpBuildQuery(value);
    expect(body).toBe('data%5BFIELDS%5D%5BYES%5D=1&data%5BFIELDS%5D%5BNO%5D=0&data%5BFIELDS%5D%5BID%5D=7');
    expect(body).toBe(await php.ask(value));
  });

  it('prints floats as PHP’s %.14G', async () => {
    for (const n of [0.1, 1 / 3, 1e20, 1e-5, 0.0001, 123456789012345.67, -1.5e-10, 2 ** 70]) {
      expect(`0=${urlencode(phpFloat(n))}`).toBe(await php.ask([n]));
    }
  });
});
