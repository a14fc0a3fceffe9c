import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** Order of arrival across every sink of the test (a shared counter, not a clock). */
  seq: number;
  /** Order in which sinks finished answering. */
  answeredSeq?: number;
}

export interface Sink {
  /** Base URL, e.g. http://127.0.0.1:PORT (the path is free). */
  url: string;
  port: number;
  received: Received[];
  /** Resolves when `count` requests have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

let sequence = 0;

/**
 * An HTTP handler on loopback that records what it receives, answering with `status` after
 * `delayMs` (a slow handler) — the "real HTTP sink" of the delivery tests.
 */
export async function startSink(options: { status?: number; delayMs?: number; host?: string; headers?: Record<string, string> } = {}): Promise<Sink> {
  const received: Received[] = [];
  const waiters: (() => void)[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const entry: Received = { headers: req.headers, body, seq: ++sequence };
      received.push(entry);
      waiters.forEach((w) => w());
      setTimeout(() => {
        entry.answeredSeq = ++sequence;
        res.writeHead(options.status ?? 200, options.headers ?? {}).end('ok');
      }, options.delayMs ?? 0);
    });
  });
  server.listen(0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host === '::1' ? '[::1]' : '127.0.0.1'}:${port}`,
    port,
    received,
    waitFor(count, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (received.length >= count) {
            clearTimeout(timer);
            resolve(received.slice(0, count));
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => reject(new Error(`sink got ${received.length} of ${count} requests`)), timeoutMs);
        if (!check()) waiters.push(() => void check());
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
