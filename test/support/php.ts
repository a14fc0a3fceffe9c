import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * One long-lived `php` process answering one JSON line with one JSON line, so a property
 * test can ask PHP about thousands of values without starting PHP for each (about 20 ms
 * each). `script` reads `$in` (the decoded line, `json_decode($line, true)`) and returns
 * the answer, which is sent back JSON-encoded.
 */
export interface PhpWorker {
  ask(input: unknown): Promise<unknown>;
  close(): Promise<void>;
}

export function startPhpWorker(script: string): PhpWorker {
  const loop = `while (($line = fgets(STDIN)) !== false) { $in = json_decode($line, true); $out = (function ($in) { ${script} })($in); echo json_encode($out, JSON_UNESCAPED_SLASHES | JSON_INVALID_UTF8_SUBSTITUTE), "\\n"; }`;
  const php: ChildProcessWithoutNullStreams = spawn('php', ['-d', 'display_errors=stderr', '-r', loop]);
  const waiting: ((line: string) => void)[] = [];
  let stderr = '';
  php.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: php.stdout }).on('line', (line) => waiting.shift()?.(line));
  const exited = new Promise<void>((resolve) => php.on('exit', () => resolve()));
  return {
    ask(input) {
      return new Promise((resolve, reject) => {
        if (php.exitCode !== null) return reject(new Error(`php exited: ${stderr}`));
        waiting.push((line) => (line === '' ? reject(new Error(`php: ${stderr}`)) : resolve(JSON.parse(line))));
        php.stdin.write(`${JSON.stringify(input)}\n`);
      });
    },
    async close() {
      php.stdin.end();
      await exited;
    },
  };
}
