import { createServer, type Server } from 'node:http';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { lambdaContext } from './server';
import { MAX_RECEIVE_COUNT } from '../lambdas/adapters/sqs/delivery-queue';
import { SqsStore } from './sqs-store';

export interface LocalSqs {
  endpoint: string;
  queueUrl: string;
  deadLetterUrl: string;
  /** The journal, the group queues and the wake-up events (local/sqs-store.ts). */
  store: SqsStore;
  /** Messages put back from the journal at start. */
  restored: number;
  stop(): Promise<void>;
}

const QUEUE = 'b24-deliveries';

/**
 * The SQS emulator (local-aws-sqs, in this process) behind the journal and fairness layer of
 * local/sqs-store.ts, with the delivery queue and its dead-letter queue set up as the CDK
 * stack sets them up. With `journalFile`, what the queues held when the last run stopped
 * (SIGTERM or SIGKILL) is put back, each delayed message with the delay it had left.
 */
export async function startLocalSqs(port: number, client: (endpoint: string) => SQSClient, options: { journalFile?: string; log?: (line: string) => void } = {}): Promise<LocalSqs> {
  const store = new SqsStore({ port, fairQueue: QUEUE, ...options });
  const server: Server = createServer((req, res) => {
    store.handle(req, res).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify({ __type: 'InternalFailure', message: (error as Error).message }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const sqs = client(endpoint);
  try {
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${QUEUE}-dlq`, Attributes: { MessageRetentionPeriod: String(14 * 24 * 3600) } }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl!, AttributeNames: ['QueueArn'] }));
    const queue = await sqs.send(
      new CreateQueueCommand({
        QueueName: QUEUE,
        Attributes: {
          VisibilityTimeout: '60',
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes!.QueueArn, maxReceiveCount: MAX_RECEIVE_COUNT }),
        },
      }),
    );
    const base = queue.QueueUrl!.slice(0, queue.QueueUrl!.lastIndexOf('/') + 1);
    const restored = await store.restore((name) => `${base}${name}`);
    return {
      endpoint,
      queueUrl: queue.QueueUrl!,
      deadLetterUrl: dlq.QueueUrl!,
      store,
      restored,
      stop: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    };
  } catch (error) {
    server.close();
    throw error;
  } finally {
    sqs.destroy();
  }
}

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export interface Poller {
  stop(): Promise<void>;
}

export interface PollerOptions {
  concurrency: number;
  log: (line: string) => void;
  /** The local stack's queue layer: with it the poller wakes on arrival and serves message groups round-robin. */
  store?: SqsStore;
  /** Loops one message group may hold at once (default: all but one, at least 1). */
  perGroup?: number;
}

/**
 * What Lambda's SQS event source mapping does, locally: `concurrency` loops receive batches
 * of up to 10, invoke the handler with a real SQS event, and delete the records the handler
 * did not report as failed. Failed records come back after the visibility timeout, and go to
 * the DLQ after MAX_RECEIVE_COUNT receives.
 *
 * With `store` (npm start), the loops sleep until a message is sent (or its delay ends) and
 * take the message groups (portals) in turn, no group holding more than `perGroup` loops: a
 * portal's flood leaves loops free for the others (docs/operations.md, "Fairness").
 * Without it (tests on a plain queue), each loop long-polls `queueUrl`.
 */
export function startPoller(sqs: SQSClient, queueUrl: string, handler: () => Promise<SqsHandler>, options: PollerOptions): Poller {
  let running = true;
  const abort = new AbortController();
  const run = async (url: string, messages: Message[]): Promise<void> => {
    const result = await (await handler())(toSqsEvent(messages, url), lambdaContext('deliver'));
    const failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
    const done = messages.filter((m) => !failed.has(m.MessageId!));
    if (done.length > 0) {
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
    }
  };
  const receive = (url: string, max: number, wait: number) =>
    sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: max, WaitTimeSeconds: wait, MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'] }), {
      abortSignal: abort.signal,
    });
  const pause = () => new Promise((r) => setTimeout(r, 500));

  if (!options.store) {
    const loop = async (): Promise<void> => {
      while (running) {
        try {
          const messages = (await receive(queueUrl, 10, 1)).Messages ?? [];
          if (messages.length > 0) await run(queueUrl, messages);
        } catch (error) {
          if (!running) return;
          options.log(`delivery poller: ${(error as Error).message}`);
          await pause();
        }
      }
    };
    const loops = Array.from({ length: options.concurrency }, () => loop());
    return {
      async stop() {
        running = false;
        abort.abort();
        await Promise.allSettled(loops);
      },
    };
  }

  const store = options.store;
  const base = queueUrl.slice(0, queueUrl.lastIndexOf('/') + 1);
  const main = queueUrl.slice(base.length);
  const perGroup = Math.max(1, options.perGroup ?? options.concurrency - 1);
  interface Group {
    name: string;
    /** Loops serving it now, and messages they hold. */
    busy: number;
    holding: number;
    /** Bumped by every arrival; a receive that came back short clears `ready` only if none came meanwhile. */
    seq: number;
    ready: boolean;
  }
  const groups = new Map<string, Group>();
  const order: Group[] = [];
  let cursor = 0;
  let waiters: (() => void)[] = [];
  const wake = () => {
    const all = waiters;
    waiters = [];
    for (const w of all) w();
  };
  const groupOf = (name: string): Group => {
    let group = groups.get(name);
    if (!group) {
      group = { name, busy: 0, holding: 0, seq: 0, ready: false };
      groups.set(name, group);
      order.push(group);
    }
    return group;
  };
  const mark = (name: string) => {
    if (name !== main && !name.startsWith(`${main}-g`)) return;
    const group = groupOf(name);
    group.seq++;
    group.ready = true;
    wake();
  };
  const timers = new Set<NodeJS.Timeout>();
  const onSent = (name: string, delayMs: number) => {
    if (delayMs <= 0) return mark(name);
    const timer = setTimeout(() => {
      timers.delete(timer);
      mark(name);
    }, delayMs + 5);
    timers.add(timer);
  };
  store.events.on('sent', onSent);
  // Messages coming back without a send (a failed record's visibility timeout ending, or a
  // delay the journal restored) are found by a look once a second at what each queue holds.
  const sweep = setInterval(() => {
    for (const name of [main, ...store.groups()]) if (store.count(name) > (groups.get(name)?.holding ?? 0)) mark(name);
  }, 1000);
  mark(main);
  for (const name of store.groups()) mark(name);

  const next = (): Group | undefined => {
    for (let i = 0; i < order.length; i++) {
      const group = order[(cursor + i) % order.length]!;
      if (group.ready && group.busy < perGroup) {
        cursor = (cursor + i + 1) % order.length;
        return group;
      }
    }
    return undefined;
  };
  const loop = async (): Promise<void> => {
    while (running) {
      const group = next();
      if (!group) {
        await new Promise<void>((r) => waiters.push(r));
        continue;
      }
      group.busy++;
      try {
        const seq = group.seq;
        const want = Math.min(10, Math.max(1, store.count(group.name) - group.holding));
        const url = `${base}${group.name}`;
        const messages = (await receive(url, want, 0)).Messages ?? [];
        if (messages.length < want && group.seq === seq) group.ready = false;
        if (messages.length > 0) {
          group.holding += messages.length;
          try {
            await run(url, messages);
          } finally {
            group.holding -= messages.length;
          }
        }
      } catch (error) {
        if (!running) return;
        options.log(`delivery poller: ${(error as Error).message}`);
        await pause();
      } finally {
        group.busy--;
        wake();
      }
    }
  };
  const loops = Array.from({ length: options.concurrency }, () => loop());
  return {
    async stop() {
      running = false;
      abort.abort();
      store.events.off('sent', onSent);
      clearInterval(sweep);
      for (const t of timers) clearTimeout(t);
      wake();
      await Promise.allSettled(loops);
    },
  };
}

function toSqsEvent(messages: Message[], queueUrl: string): SQSEvent {
  const [, , , , account = '000000000000', name = 'queue'] = queueUrl.split('/');
  return {
    Records: messages.map((m) => ({
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body ?? '',
      attributes: {
        ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
        SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
        SenderId: m.Attributes?.SenderId ?? 'local',
        ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: m.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:us-east-1:${account}:${name}`,
      awsRegion: 'us-east-1',
    })),
  };
}
