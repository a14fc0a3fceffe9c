const { relative } = require('node:path');

/** How many of the slowest test files the closing block names. */
const SLOWEST = 5;

/**
 * Prints a short closing block after Jest's own summary, in a fixed form any reader of the log
 * (CI included) can find: the counts of tests and files, the wall time, the files that failed,
 * and the slowest files (where a faster suite would start).
 *
 *   tests: 316 passed, 0 failed · files: 39 passed, 0 failed · 142.3 s
 *   slowest files:
 *     41.2 s  test/http/local-runtime.test.ts
 */
class SummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const files = results.testResults.map((file) => ({
      path: relative(this.rootDir, file.testFilePath),
      seconds: Math.max(0, file.perfStats.end - file.perfStats.start) / 1000,
      failed: file.numFailingTests > 0 || Boolean(file.testExecError),
    }));
    const skipped = results.numPendingTests + results.numTodoTests;
    const failedFiles = files.filter((f) => f.failed);
    const wall = (Date.now() - results.startTime) / 1000;
    const lines = [
      `tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}` +
        ` · files: ${files.length - failedFiles.length} passed, ${failedFiles.length} failed · ${wall.toFixed(1)} s`,
    ];
    if (failedFiles.length > 0) lines.push('failed files:', ...failedFiles.map((f) => `  ${f.path}`));
    const slowest = [...files].sort((a, b) => b.seconds - a.seconds).slice(0, SLOWEST);
    if (slowest.length > 0) lines.push('slowest files:', ...slowest.map((f) => `  ${f.seconds.toFixed(1).padStart(6)} s  ${f.path}`));
    process.stdout.write(`\n${lines.join('\n')}\n`);
  }
}
module.exports = SummaryReporter;
