import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

/** The environment a developer has: none of the test run's service variables. */
export function developerEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_NO_WARNINGS: '1', ...extra };
  const service = ['TLS_CERT_FILE', 'TLS_KEY_FILE', 'TABLE_REGISTRY', 'TABLE_BINDINGS', 'TABLE_JOURNAL', 'TABLE_DELIVERIES', 'DYNAMODB_ENDPOINT', 'SQS_ENDPOINT', 'DELIVERY_QUEUE_URL', 'DELIVERY_DLQ_URL', 'HANDLER_ALLOW_PRIVATE', 'PUBLIC_URL', 'PRODUCER_KEY', 'PRODUCER_AUTH'];
  for (const name of service) if (!(name in extra)) delete env[name];
  return env;
}

export interface Started {
  child: ChildProcess;
  output: () => string;
  url: string;
}

/** `npm start` in its own process group, as a terminal runs it; resolves on "listening on". `extra` adds variables. */
export async function npmStart(port: number, dataDir: string, extra: Record<string, string> = {}): Promise<Started> {
  const child = spawn('npm', ['start'], { cwd: ROOT, env: developerEnv({ PORT: String(port), DATA_DIR: dataDir, ...extra }), detached: true });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not get ready:\n${output}`)), 90_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (https?:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code}:\n${output}`));
    });
  });
  return { child, output: () => output, url };
}

/** Ctrl-C to the whole process group; resolves when npm has exited. */
export function interrupt(started: Started): Promise<void> {
  return new Promise((resolve) => {
    if (started.child.exitCode !== null) return resolve();
    started.child.once('exit', () => resolve());
    process.kill(-started.child.pid!, 'SIGINT');
  });
}

/** SIGKILL to a process group that may already be gone. */
export function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already exited
  }
}

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command in its own process group; whatever it left in the background is killed after it exits. */
export function runGroup(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number, input?: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      killGroup(child.pid);
      reject(new Error(`${command} did not finish in ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    // "exit", not "close": a background process may keep the pipes open.
    child.once('exit', (code) => {
      clearTimeout(timer);
      killGroup(child.pid);
      setTimeout(() => resolve({ code, stdout, stderr }), 50);
    });
    if (input !== undefined) child.stdin.end(input);
  });
}

/** A long-running program (an example server) in its own process group; its output so far. */
export function startProgram(command: string, args: string[], env: NodeJS.ProcessEnv): { pid: number; stdout: () => string; stderr: () => string; stop: () => void } {
  const child = spawn(command, args, { cwd: ROOT, env, detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return { pid: child.pid!, stdout: () => stdout, stderr: () => stderr, stop: () => killGroup(child.pid) };
}

/** Polls `check` until it returns true (or fails after `timeoutMs`). */
export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
