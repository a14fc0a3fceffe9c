import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { createRequestHandler } from 'local-aws-sqs';

/** One message the emulator holds, as the journal knows it. */
interface Held {
  body: string;
  group?: string;
  attributes?: Record<string, unknown>;
  /** Unix ms when its delay ends (0: available at once). */
  at: number;
}

type Line = { s: [queue: string, id: string, held: Held] } | { d: [queue: string, id: string] } | { p: string };

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const JSON_TYPE = 'application/x-amz-json-1.0';
/** The calls that change what the emulator holds (receives do not: a message in flight stays held). */
const WRITES = new Set(['CreateQueue', 'SendMessage', 'SendMessageBatch', 'DeleteMessage', 'DeleteMessageBatch', 'PurgeQueue']);
const queueNameOf = (url: unknown): string => (typeof url === 'string' ? (url.split('/').filter(Boolean).pop() ?? '') : '');

/** The message a receipt handle stands for (local-aws-sqs encodes `{MessageId, QueueName}` in it). */
function receipt(handle: unknown): { queue: string; id: string } | undefined {
  if (typeof handle !== 'string') return undefined;
  try {
    const text = Buffer.from(handle, 'base64').toString('utf8');
    const { MessageId, QueueName } = JSON.parse(text.slice(text.indexOf('{'))) as { MessageId?: string; QueueName?: string };
    return MessageId && QueueName ? { queue: QueueName, id: MessageId } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Wraps the SQS emulator (local-aws-sqs keeps messages in memory only) with what the local
 * stack needs from it (docs/engines.md, "The local queue"):
 *  - a journal: every message sent and every message deleted is appended to `journalFile`
 *    before the emulator's answer goes back, so whatever was acknowledged to a sender
 *    survives a stop, SIGTERM or SIGKILL alike; `restore()` puts the messages still held back
 *    into the emulator with the delay they had left;
 *  - fairness: a message sent to `fairQueue` with a `MessageGroupId` goes to that group's own
 *    emulator queue (same attributes), so the poller can serve groups round-robin;
 *  - wake-up: `events` emits `sent` (queue name, delay ms) when a send is answered, so the
 *    poller receives at once instead of on a timer.
 */
export class SqsStore {
  readonly events = new EventEmitter();
  private readonly held = new Map<string, Map<string, Held>>();
  private readonly handler: ReturnType<typeof createRequestHandler>['requestHandler'];
  private readonly groupQueues = new Map<string, string>();
  private fairAttributes: Record<string, string> | undefined;
  private lastRequest = Promise.resolve();

  constructor(
    private readonly options: { port: number; journalFile?: string; fairQueue?: string; log?: (line: string) => void },
  ) {
    this.handler = createRequestHandler({ port: options.port, hostname: '127.0.0.1' }).requestHandler;
    this.events.setMaxListeners(0);
  }

  /** Messages the emulator holds for `queue` (sent and not yet deleted), as the journal counts them. */
  count(queue: string): number {
    return this.held.get(queue)?.size ?? 0;
  }

  /** The fair queue's group queues (name by group) created so far. */
  groups(): string[] {
    return [...this.groupQueues.values()];
  }

  /** Creates the fair queue's twin for `group` (same attributes) on first use. */
  groupQueue(group: string): string {
    return `${this.options.fairQueue}-g${createHash('sha256').update(group).digest('hex').slice(0, 16)}`;
  }

  /** The HTTP entry: every SQS API call of the local stack comes through here. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const target = req.headers['x-amz-target'];
    if (req.headers['content-type'] !== JSON_TYPE || typeof target !== 'string') {
      // The query protocol (old clients): served as is; the journal sees only the JSON protocol the SDK v3 speaks.
      const answer = await this.invoke(req.headers, raw);
      return this.reply(res, answer);
    }
    const action = target.split('.')[1] ?? '';
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return this.reply(res, await this.invoke(req.headers, raw));
    }
    if (!WRITES.has(action)) return this.reply(res, await this.serve(req.headers, action, body, raw));
    // One write at a time through the journal, so its lines follow the emulator's order.
    const run = this.lastRequest.then(() => this.serve(req.headers, action, body, raw));
    this.lastRequest = run.then(
      () => undefined,
      () => undefined,
    );
    this.reply(res, await run);
  }

  private async serve(headers: IncomingMessage['headers'], action: string, body: Record<string, unknown>, raw: string): Promise<Answer> {
    const queue = queueNameOf(body.QueueUrl);
    if (action === 'CreateQueue' && body.QueueName === this.options.fairQueue && !this.fairAttributes) {
      this.fairAttributes = (body.Attributes as Record<string, string> | undefined) ?? {};
    }
    if ((action === 'SendMessage' || action === 'SendMessageBatch') && queue === this.options.fairQueue) return this.sendFair(headers, action, body);
    const answer = await this.invoke(headers, raw);
    if (answer.status === 200) this.record(action, queue, body, answer);
    return answer;
  }

  /** Sends to the fair queue go to their group's queue; a batch with several groups is split. */
  private async sendFair(headers: IncomingMessage['headers'], action: string, body: Record<string, unknown>): Promise<Answer> {
    const entries = action === 'SendMessage' ? [body] : ((body.Entries as Record<string, unknown>[] | undefined) ?? []);
    const byQueue = new Map<string, Record<string, unknown>[]>();
    for (const entry of entries) {
      const group = typeof entry.MessageGroupId === 'string' && entry.MessageGroupId !== '' ? entry.MessageGroupId : undefined;
      const queue = group ? await this.ensureGroupQueue(headers, group) : this.options.fairQueue!;
      byQueue.set(queue, [...(byQueue.get(queue) ?? []), entry]);
    }
    if (action === 'SendMessage' || byQueue.size <= 1) {
      const [queue = this.options.fairQueue!] = byQueue.keys();
      const rewritten = { ...body, QueueUrl: this.urlOf(body.QueueUrl, queue) };
      const answer = await this.invoke({ ...headers, 'x-amz-target': `AmazonSQS.${action}` }, JSON.stringify(rewritten));
      if (answer.status === 200) this.record(action, queue, rewritten, answer);
      return answer;
    }
    const merged: { Successful: unknown[]; Failed: unknown[] } = { Successful: [], Failed: [] };
    let last: Answer | undefined;
    for (const [queue, part] of byQueue) {
      const rewritten = { ...body, QueueUrl: this.urlOf(body.QueueUrl, queue), Entries: part };
      last = await this.invoke(headers, JSON.stringify(rewritten));
      if (last.status !== 200) return last;
      this.record(action, queue, rewritten, last);
      const parsed = JSON.parse(last.body || '{}') as { Successful?: unknown[]; Failed?: unknown[] };
      merged.Successful.push(...(parsed.Successful ?? []));
      merged.Failed.push(...(parsed.Failed ?? []));
    }
    return { ...last!, body: JSON.stringify(merged) };
  }

  private urlOf(url: unknown, queue: string): string {
    const parts = String(url).split('/');
    parts[parts.length - 1] = queue;
    return parts.join('/');
  }

  private async ensureGroupQueue(headers: IncomingMessage['headers'], group: string): Promise<string> {
    const known = this.groupQueues.get(group);
    if (known) return known;
    const name = this.groupQueue(group);
    const answer = await this.invoke({ ...headers, 'x-amz-target': 'AmazonSQS.CreateQueue' }, JSON.stringify({ QueueName: name, Attributes: this.fairAttributes ?? {} }));
    if (answer.status !== 200) throw new Error(`SQS emulator refused the group queue ${name}: ${answer.body}`);
    this.groupQueues.set(group, name);
    return name;
  }

  /** Keeps the journal and the counts in step with an answered call, and wakes the poller on a send. */
  private record(action: string, queue: string, body: Record<string, unknown>, answer: Answer): void {
    const parsed = answer.body ? (JSON.parse(answer.body) as Record<string, unknown>) : {};
    const now = Date.now();
    const lines: Line[] = [];
    const sent = (entry: Record<string, unknown>, id: string) => {
      const delay = Number(entry.DelaySeconds ?? 0);
      const held: Held = {
        body: String(entry.MessageBody),
        at: delay > 0 ? now + delay * 1000 : 0,
        ...(typeof entry.MessageGroupId === 'string' ? { group: entry.MessageGroupId } : {}),
        ...(entry.MessageAttributes ? { attributes: entry.MessageAttributes as Record<string, unknown> } : {}),
      };
      lines.push({ s: [queue, id, held] });
      this.events.emit('sent', queue, delay * 1000);
    };
    if (action === 'SendMessage' && typeof parsed.MessageId === 'string') sent(body, parsed.MessageId);
    if (action === 'SendMessageBatch') {
      const entries = new Map(((body.Entries as Record<string, unknown>[] | undefined) ?? []).map((e) => [String(e.Id), e]));
      for (const ok of (parsed.Successful as { Id: string; MessageId: string }[] | undefined) ?? []) {
        const entry = entries.get(String(ok.Id));
        if (entry) sent(entry, ok.MessageId);
      }
    }
    if (action === 'DeleteMessage') {
      const gone = receipt(body.ReceiptHandle);
      if (gone) lines.push({ d: [gone.queue, gone.id] });
    }
    if (action === 'DeleteMessageBatch') {
      const handles = new Map(((body.Entries as { Id: string; ReceiptHandle: string }[] | undefined) ?? []).map((e) => [String(e.Id), e.ReceiptHandle]));
      for (const ok of (parsed.Successful as { Id: string }[] | undefined) ?? []) {
        const gone = receipt(handles.get(String(ok.Id)));
        if (gone) lines.push({ d: [gone.queue, gone.id] });
      }
    }
    if (action === 'PurgeQueue') lines.push({ p: queue });
    if (lines.length === 0) return;
    for (const line of lines) this.apply(line);
    if (this.options.journalFile) appendFileSync(this.options.journalFile, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  }

  private apply(line: Line): void {
    if ('s' in line) {
      const [queue, id, held] = line.s;
      if (!this.held.has(queue)) this.held.set(queue, new Map());
      this.held.get(queue)!.set(id, held);
    } else if ('d' in line) {
      this.held.get(line.d[0])?.delete(line.d[1]);
    } else {
      this.held.delete(line.p);
    }
  }

  /**
   * Reads the journal a previous run left, compacts it to the messages still held, and sends
   * them again (each to its queue, with the delay it had left; a message that was in flight
   * is available at once). Run after the queues exist, before anything else uses them.
   * Returns how many messages came back.
   */
  async restore(queueUrlOf: (queue: string) => string): Promise<number> {
    const file = this.options.journalFile;
    if (!file) return 0;
    mkdirSync(dirname(file), { recursive: true });
    if (!existsSync(file)) return 0;
    const previous = new SqsStore({ port: this.options.port });
    let bad = 0;
    for (const text of readFileSync(file, 'utf8').split('\n')) {
      if (!text.trim()) continue;
      try {
        previous.apply(JSON.parse(text) as Line);
      } catch {
        bad++; // a line cut short by a kill mid-write: the message it began was never acknowledged
      }
    }
    if (bad > 0) this.options.log?.(`SQS journal: ${bad} unreadable line(s) skipped in ${file}`);
    // The compacted journal first: a stop during the restore loses nothing (at worst a message is sent twice).
    const compact: Line[] = [];
    for (const [queue, messages] of previous.held) for (const [id, held] of messages) compact.push({ s: [queue, id, held] });
    writeFileSync(`${file}.tmp`, compact.map((l) => JSON.stringify(l)).join('\n') + (compact.length ? '\n' : ''));
    renameSync(`${file}.tmp`, file);
    for (const line of compact) this.apply(line);
    const now = Date.now();
    let restored = 0;
    for (const line of compact) {
      if (!('s' in line)) continue;
      const [queue, id, held] = line.s;
      const target = queue.startsWith(`${this.options.fairQueue}-g`) ? this.options.fairQueue! : queue;
      const delay = held.at > now ? Math.min(900, Math.ceil((held.at - now) / 1000)) : 0;
      const entry = {
        QueueUrl: queueUrlOf(target),
        MessageBody: held.body,
        ...(delay > 0 ? { DelaySeconds: delay } : {}),
        ...(held.group ? { MessageGroupId: held.group } : {}),
        ...(held.attributes ? { MessageAttributes: held.attributes } : {}),
      };
      const headers = { 'content-type': JSON_TYPE, 'x-amz-target': 'AmazonSQS.SendMessage' };
      const answer = await this.serve(headers, 'SendMessage', entry, JSON.stringify(entry));
      if (answer.status !== 200) throw new Error(`SQS journal: could not restore a message to ${queue}: ${answer.body}`);
      // The old copy leaves the journal only once the new one is in it.
      this.apply({ d: [queue, id] });
      appendFileSync(file, JSON.stringify({ d: [queue, id] }) + '\n');
      restored++;
    }
    return restored;
  }

  /** Runs one call through the emulator's request handler, in this process. */
  private invoke(headers: IncomingMessage['headers'], raw: string): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      const req = Object.assign(Readable.from([Buffer.from(raw)]), { headers: { ...headers }, method: 'POST', url: '/' }) as unknown as IncomingMessage;
      const answer: Answer = { status: 200, headers: {}, body: '' };
      const res = {
        get statusCode() {
          return answer.status;
        },
        set statusCode(value: number) {
          answer.status = value;
        },
        setHeader(name: string, value: string | number) {
          answer.headers[name.toLowerCase()] = String(value);
        },
        writeHead(status: number, head?: Record<string, string>) {
          answer.status = status;
          for (const [k, v] of Object.entries(head ?? {})) answer.headers[k.toLowerCase()] = String(v);
          return res;
        },
        end(chunk?: string | Buffer) {
          answer.body = chunk === undefined ? '' : chunk.toString();
          resolve(answer);
        },
      } as unknown as ServerResponse;
      this.handler(req, res).catch(reject);
    });
  }

  private reply(res: ServerResponse, answer: Answer): void {
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  }
}
