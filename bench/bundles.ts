import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { BUNDLING } from '../lib/service-function';
import { allFunctionEntries, type FunctionEntry } from '../lib/entries';


/** The bound the benchmark reports against (issue 8) and the bundle test keeps. */
export const BUNDLE_GOAL_BYTES = 500 * 1000;

/** Every Lambda entry the stack deploys (one function each), as the stack builds them (lib/entries.ts). */
export const ENTRIES: readonly FunctionEntry[] = allFunctionEntries();

export interface Bundle {
  entry: string;
  file: string;
  bytes: number;
  /** The project and package files with code in the bundle (relative to the repository); files esbuild read and tree-shook away are not listed. */
  inputs: string[];
}

/** Bundles each entry as the CDK stack does (lib/service-function.ts): minified CommonJS, AWS SDK included. */
export async function bundleAll(outDir: string, entries: readonly FunctionEntry[] = ENTRIES): Promise<Bundle[]> {
  const bundles: Bundle[] = [];
  for (const { name: entry, file: source } of entries) {
    const file = join(outDir, entry, 'index.js');
    const result = await build({
      entryPoints: [source],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      minify: BUNDLING.minify,
      sourcemap: BUNDLING.sourceMap,
      target: BUNDLING.target,
      mainFields: [...BUNDLING.mainFields],
      external: [...BUNDLING.external],
      alias: { ...BUNDLING.alias },
      outfile: file,
      metafile: true,
      logLevel: 'error',
    });
    const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint !== undefined);
    const inputs = Object.entries(output?.inputs ?? {})
      .filter(([, used]) => used.bytesInOutput > 0)
      .map(([path]) => path);
    bundles.push({ entry, file, bytes: statSync(file).size, inputs });
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
