import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleAll, BUNDLE_GOAL_BYTES, coldStartMs, ENTRIES, type Bundle } from '../../bench/bundles';

/**
 * The Lambda bundles as the stack builds them (lib/service-function.ts BUNDLING): each one loads
 * in a fresh Node process, stays within the size goal, and carries the outbound adapters its
 * code uses (the test process itself has them all, so only the bundles can show a missing one).
 */
let dir: string;
let bundles: Bundle[];
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'b24-bundles-test-'));
  bundles = await bundleAll(dir);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const has = (bundle: Bundle, path: string) => bundle.inputs.includes(path);

describe('Lambda bundles', () => {
  it('builds one bundle per deployed entry, each under the size goal', () => {
    expect(bundles.map((b) => b.entry)).toEqual(ENTRIES.map((e) => e.name));
    for (const bundle of bundles) expect({ entry: bundle.entry, ok: bundle.bytes <= BUNDLE_GOAL_BYTES }).toEqual({ entry: bundle.entry, ok: true });
  });

  it('loads every bundle in a fresh Node process and finds its handler', () => {
    for (const bundle of bundles) expect(coldStartMs(bundle.file, 1)).toBeGreaterThan(0);
  });

  it('gives each function the outbound adapters its use cases need, and the others none (tree-shaking of lambdas/composition.ts)', () => {
    const needs = (bundle: Bundle) => ({
      // The console resends (lambdas/handlers/console.ts).
      queue: ['lambdas/usecases/publish.ts', 'lambdas/usecases/service-events.ts', 'lambdas/usecases/offline-notification.ts', 'lambdas/usecases/deliver.ts', 'lambdas/methods/event-delivery-resend.ts', 'lambdas/handlers/console.ts'].some((p) => has(bundle, p)),
      // Publish schedules trailing ONOFFLINEEVENT notifications, and so does a delivery that falls back to the journal.
      scheduler: has(bundle, 'lambdas/usecases/publish.ts') || has(bundle, 'lambdas/usecases/delivery-fallback.ts'),
      sender: has(bundle, 'lambdas/usecases/deliver.ts'),
    });
    for (const bundle of bundles) {
      const brought = { queue: has(bundle, 'lambdas/adapters/sqs/delivery-queue.ts'), scheduler: has(bundle, 'lambdas/adapters/scheduler/eventbridge-scheduler.ts'), sender: has(bundle, 'lambdas/adapters/http/handler-sender.ts') };
      expect({ entry: bundle.entry, ...brought }).toEqual({ entry: bundle.entry, ...needs(bundle) });
    }
    // The point of the split: a plain REST method carries neither SQS nor Scheduler.
    const get = bundles.find((b) => b.entry === 'event-get')!;
    expect(get.inputs.some((p) => p.includes('@aws-sdk/client-sqs') || p.includes('@aws-sdk/client-scheduler'))).toBe(false);
  });
});
