import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { classifyAddress } from '../../domain/addresses';
import type { HandlerResponse, HandlerSender } from '../../domain/ports';

/** What the resolver looks like (node:dns lookup with `all: true`); tests pass their own. */
export type Resolver = (host: string, callback: (error: Error | null, addresses: LookupAddress[]) => void) => void;

const systemResolver: Resolver = (host, callback) => dnsLookup(host, { all: true, verbatim: true }, callback);

/** The response body is read and dropped, up to this many bytes (a handler's answer is not used). */
const MAX_RESPONSE_BYTES = 64 * 1024;

class RefusedAddress extends Error {}

/**
 * POSTs deliveries with node:http(s). The SSRF guard sits in the connection's DNS lookup:
 * the host is resolved once, every address is checked (domain/addresses.ts), and the
 * connection goes to the address that was checked, so a DNS answer that changes between
 * check and connect (rebinding) cannot slip through. IP-literal hosts are checked the same
 * way. Redirects are never followed (a 3xx is a failed delivery). `allowPrivate` turns the
 * guard off (the local runtime's default).
 */
export class HttpHandlerSender implements HandlerSender {
  constructor(
    private readonly allowPrivate: boolean,
    private readonly resolve: Resolver = systemResolver,
  ) {}

  async post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<HandlerResponse> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let target: URL;
    try {
      target = new URL(url);
      if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new Error(`unsupported scheme ${target.protocol}`);
    } catch (error) {
      return { status: 0, latencyMs: elapsed(), error: `bad handler URL: ${(error as Error).message}` };
    }
    const options: RequestOptions = {
      method: 'POST',
      headers: { ...headers, 'content-length': Buffer.byteLength(body), 'user-agent': 'b24-event-hub' },
      lookup: this.guardedLookup(),
      timeout: timeoutMs,
    };
    // An IP literal never goes through `lookup`: check it here.
    const literal = target.hostname.replace(/^\[|\]$/g, '');
    if (!this.allowPrivate && /^[\d.]+$|:/.test(literal)) {
      const verdict = classifyAddress(literal);
      if (!verdict.allowed) return { status: 0, latencyMs: elapsed(), error: `refused: ${verdict.reason}` };
    }

    return new Promise<HandlerResponse>((resolve) => {
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const deadline = setTimeout(() => req.destroy(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      const finish = (result: HandlerResponse) => {
        clearTimeout(deadline);
        resolve(result);
      };
      const req = send(target, options, (res) => {
        let received = 0;
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > MAX_RESPONSE_BYTES) res.destroy();
        });
        res.on('close', () => {
          const status = res.statusCode ?? 0;
          const ok = status >= 200 && status < 300;
          const retryAfterSeconds = status === 429 || status === 503 ? parseRetryAfter(res.headers['retry-after'], Date.now()) : undefined;
          finish({
            status,
            latencyMs: elapsed(),
            ...(ok ? {} : { error: status >= 300 && status < 400 ? `redirect to ${res.headers.location ?? '?'} not followed` : `HTTP ${status}` }),
            ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
          });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
      req.on('error', (error) => {
        finish({ status: 0, latencyMs: elapsed(), error: error instanceof RefusedAddress ? `refused: ${error.message}` : error.message });
      });
      req.end(body);
    });
  }

  private guardedLookup(): LookupFunction {
    return ((hostname: string, options: { all?: boolean }, callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void) => {
      this.resolve(hostname, (error, addresses) => {
        if (error) return callback(error, '', 0);
        if (!this.allowPrivate) {
          for (const { address } of addresses) {
            const verdict = classifyAddress(address);
            if (!verdict.allowed) return callback(new RefusedAddress(`${hostname}: ${verdict.reason}`), '', 0);
          }
        }
        if (addresses.length === 0) return callback(new Error(`${hostname} has no address`), '', 0);
        if (options.all) return callback(null, addresses);
        return callback(null, addresses[0]!.address, addresses[0]!.family);
      });
    }) as LookupFunction;
  }
}

/** `Retry-After` as seconds from `now`: delta-seconds or an HTTP date (RFC 9110 10.2.3); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}
