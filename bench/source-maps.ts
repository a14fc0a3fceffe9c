import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleAll, ENTRIES } from './bundles';

/**
 * What NODE_OPTIONS=--enable-source-maps costs a cold start (lib/service-function.ts turns it on
 * only with `-c sourceMaps=true`): the time to load a bundle and reach its handler in a fresh
 * Node process, median of 7, with and without the flag. `npx tsx bench/source-maps.ts [entry…]`
 * (default: publish and deliver); docs/benchmarks.md quotes it.
 */
const RUNS = 7;

function coldStartMs(file: string, nodeOptions?: string): number {
  const script = `const t=process.hrtime.bigint();const m=require(${JSON.stringify(file)});if(typeof m.handler!=='function')throw new Error('no handler');process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  const env = { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) };
  const times = Array.from({ length: RUNS }, () => Number(execFileSync(process.execPath, ['-e', script], { cwd: tmpdir(), env, encoding: 'utf8' })));
  return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
}

void (async () => {
  const wanted = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['publish', 'deliver'];
  const dir = mkdtempSync(join(tmpdir(), 'b24-source-maps-'));
  try {
    for (const bundle of await bundleAll(dir, ENTRIES.filter((e) => wanted.includes(e.name)))) {
      const plain = coldStartMs(bundle.file);
      const mapped = coldStartMs(bundle.file, '--enable-source-maps');
      process.stdout.write(`${bundle.entry}: ${plain.toFixed(0)} ms, with --enable-source-maps ${mapped.toFixed(0)} ms\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();
