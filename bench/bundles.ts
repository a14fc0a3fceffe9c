import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { BUNDLING } from '../lib/service-function';
import { DELIVER_ENTRY, NOTIFY_ENTRY, OAUTH_TOKEN_ENTRY, PUBLISH_ENTRY, REST_FALLBACK_ENTRY, REST_METHOD_ENTRIES } from '../lambdas/handlers/registry';

const ROOT = join(__dirname, '..');

/** The bound the benchmark reports against (issue 8) and the bundle test keeps. */
export const BUNDLE_GOAL_BYTES = 500 * 1000;

/** Every Lambda entry the stack deploys (one function each). */
export const ENTRIES: readonly string[] = [...new Set([...Object.values(REST_METHOD_ENTRIES), PUBLISH_ENTRY, DELIVER_ENTRY, OAUTH_TOKEN_ENTRY, NOTIFY_ENTRY, REST_FALLBACK_ENTRY])];

export interface Bundle {
  entry: string;
  file: string;
  bytes: number;
  /** The project and package files in the bundle (relative to the repository). */
  inputs: string[];
}

/** Bundles each entry as the CDK stack does (lib/service-function.ts): minified CommonJS, AWS SDK included. */
export async function bundleAll(outDir: string, entries: readonly string[] = ENTRIES): Promise<Bundle[]> {
  const bundles: Bundle[] = [];
  for (const entry of entries) {
    const file = join(outDir, entry, 'index.js');
    const result = await build({
      entryPoints: [join(ROOT, 'lambdas', 'handlers', `${entry}.ts`)],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      minify: BUNDLING.minify,
      sourcemap: BUNDLING.sourceMap,
      target: BUNDLING.target,
      mainFields: [...BUNDLING.mainFields],
      external: [...BUNDLING.external],
      outfile: file,
      metafile: true,
      logLevel: 'error',
    });
    bundles.push({ entry, file, bytes: statSync(file).size, inputs: Object.keys(result.metafile.inputs) });
  }
  return bundles;
}

/** An empty handler bundled the same way: the floor for cold starts. */
export async function emptyBundle(outDir: string): Promise<Bundle> {
  const source = join(outDir, 'empty.ts');
  writeFileSync(source, 'export const handler = async () => ({ statusCode: 200 });\n');
  const file = join(outDir, 'empty', 'index.js');
  await build({ entryPoints: [source], bundle: true, platform: 'node', format: 'cjs', minify: true, target: BUNDLING.target, outfile: file, logLevel: 'error' });
  return { entry: '(empty handler)', file, bytes: statSync(file).size, inputs: [] };
}

/**
 * Milliseconds to load a bundle and reach its handler in a fresh Node process (what a Lambda cold
 * start adds on top of the runtime's own start). Returns the median of `runs`.
 */
export function coldStartMs(file: string, runs: number): number {
  const script = `const t=process.hrtime.bigint();const m=require(${JSON.stringify(file)});if(typeof m.handler!=='function')throw new Error('no handler');process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, ['-e', script], { cwd: tmpdir(), env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1' }, encoding: 'utf8' });
    times.push(Number(out));
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

export interface BundleFigures {
  bundles: { entry: string; bytes: number; cold_start_ms: number }[];
  largest_bytes: number;
  empty_handler_cold_start_ms: number;
}

export async function measureBundles(runs: number): Promise<BundleFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'b24-bundles-'));
  try {
    const bundles = await bundleAll(dir);
    const empty = await emptyBundle(dir);
    return {
      bundles: bundles.map((b) => ({ entry: b.entry, bytes: b.bytes, cold_start_ms: round(coldStartMs(b.file, runs)) })),
      largest_bytes: Math.max(...bundles.map((b) => b.bytes)),
      empty_handler_cold_start_ms: round(coldStartMs(empty.file, runs)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;
