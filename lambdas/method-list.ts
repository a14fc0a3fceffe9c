import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AnyRestMethod } from './wire/rest-method';

/** Where the REST method descriptors live: one file per method, nothing else. */
export const METHODS_DIR = join(__dirname, 'methods');

/** The descriptor files, by file name without extension, sorted. */
export function methodFiles(): string[] {
  return readdirSync(METHODS_DIR)
    .filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts'))
    .map((f) => f.replace(/\.ts$/, ''))
    .sort();
}

let loaded: { file: string; method: AnyRestMethod }[] | undefined;

/**
 * Every REST method, read from `lambdas/methods/`: adding a method is adding a file there.
 * For the processes that hold every method (the CDK app, the local runtime, the OpenAPI
 * generator, the tests). A Lambda function never reads the folder: the stack generates its
 * entry, which imports its own descriptor (and `batch`'s imports them all), see lib/entries.ts.
 */
export function restMethodFiles(): { file: string; method: AnyRestMethod }[] {
  loaded ??= methodFiles().map((file) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const method = (require(join(METHODS_DIR, file)) as { method?: AnyRestMethod }).method;
    if (!method || typeof method.name !== 'string') throw new Error(`lambdas/methods/${file}.ts must export \`method\` (a REST method descriptor)`);
    return { file, method };
  });
  return loaded;
}

export function restMethods(): AnyRestMethod[] {
  return restMethodFiles().map((m) => m.method);
}
