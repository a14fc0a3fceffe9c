import type { HandlerResponse, HandlerSender } from '../../../lambdas/domain/ports';

export interface SentRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
}

/** How the fake handler answers one POST: an HTTP status after some latency, or no answer in time. */
export type Answer = { status: number; latencyMs?: number; retryAfter?: number } | { timeout: true } | { refused: string };

/**
 * HandlerSender in memory: records every POST and answers from a script, per URL or for all.
 * It reports what adapters/http/handler-sender.ts reports: the status and latency, `HTTP n`
 * (or the redirect) as the error of a non-2xx answer, status 0 with `timed out after … ms` and
 * the full timeout as latency when the handler does not answer in time, status 0 with
 * `refused: …` when the address guard refuses, and `bad handler URL` for a URL that is not
 * http(s), and a 429's or 503's `Retry-After` (seconds). Nothing is sent over the network.
 */
export class MemoryHandlerSender implements HandlerSender {
  readonly sent: SentRequest[] = [];
  private readonly scripts = new Map<string, Answer[]>();
  private fallback: Answer = { status: 200, latencyMs: 20 };

  /** Answers the next POSTs to `url` in turn; the last answer repeats. */
  script(url: string, ...answers: Answer[]): this {
    this.scripts.set(url, answers);
    return this;
  }

  /** How URLs without a script answer (default 200 in 20 ms). */
  answerAll(answer: Answer): this {
    this.fallback = answer;
    return this;
  }

  async post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<HandlerResponse> {
    this.sent.push({ url, body, headers: { ...headers }, timeoutMs });
    let protocol: string;
    try {
      protocol = new URL(url).protocol;
    } catch {
      return { status: 0, latencyMs: 0, error: 'bad handler URL: Invalid URL' };
    }
    if (protocol !== 'http:' && protocol !== 'https:') return { status: 0, latencyMs: 0, error: `bad handler URL: unsupported scheme ${protocol}` };
    const script = this.scripts.get(url);
    const answer = (script && script.length > 1 ? script.shift() : script?.[0]) ?? this.fallback;
    if ('refused' in answer) return { status: 0, latencyMs: 0, error: `refused: ${answer.refused}` };
    const latencyMs = 'timeout' in answer ? Infinity : (answer.latencyMs ?? 20);
    // An answer slower than the timeout is no answer: the adapter gives up at the timeout.
    if ('timeout' in answer || latencyMs > timeoutMs) return { status: 0, latencyMs: timeoutMs, error: `timed out after ${timeoutMs} ms` };
    const ok = answer.status >= 200 && answer.status < 300;
    if (ok) return { status: answer.status, latencyMs };
    // Retry-After is read on 429 and 503 only, as the adapter reads it.
    const retryAfter = (answer.status === 429 || answer.status === 503) && answer.retryAfter !== undefined ? { retryAfterSeconds: answer.retryAfter } : {};
    return { status: answer.status, latencyMs, error: answer.status >= 300 && answer.status < 400 ? 'redirect to ? not followed' : `HTTP ${answer.status}`, ...retryAfter };
  }
}
