import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { restMethods } from '../lambdas/method-list';
import { openApiDocument } from '../lambdas/wire/openapi';

/**
 * `npm run openapi` writes openapi.json from the method descriptors (lambdas/methods/, lambdas/wire/openapi.ts).
 * `npm run openapi -- --check` validates the document against the OpenAPI 3.1 schema and fails
 * when the checked-in openapi.json differs from what the code generates (npm test runs it).
 */
const FILE = join(__dirname, '..', 'openapi.json');

async function main(): Promise<number> {
  const document = openApiDocument(restMethods());
  const text = `${JSON.stringify(document, null, 2)}\n`;
  const validation = await new Validator().validate(document);
  if (!validation.valid) {
    console.error('openapi: the generated document is not valid OpenAPI 3.1:', JSON.stringify(validation.errors, null, 2));
    return 1;
  }
  if (!process.argv.includes('--check')) {
    writeFileSync(FILE, text);
    console.log(`openapi: wrote ${FILE} (${Object.keys(document.paths as object).length} paths)`);
    return 0;
  }
  let current = '';
  try {
    current = readFileSync(FILE, 'utf8');
  } catch {
    // Missing counts as different.
  }
  if (current !== text) {
    console.error('openapi: openapi.json is out of date with the zod schemas; run `npm run openapi` and commit it');
    return 1;
  }
  console.log('openapi: openapi.json is valid OpenAPI 3.1 and up to date');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
