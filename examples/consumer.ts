/**
 * An offline consumer: drains the application's journal (docs/journal.md).
 *
 *   HOOK=<webhook_url from install> npx tsx examples/consumer.ts
 *   HOOK=<webhook_url> LISTEN_PORT=8081 npx tsx examples/consumer.ts     # ONOFFLINEEVENT mode
 *
 * Drain: reserve a batch (`event.offline.get`, `clear=0`), handle each record (here: print
 * it as one JSON line), then clear exactly that batch (`event.offline.clear` with the
 * `process_id` the get returned). A record is removed only after it was handled; if the
 * consumer dies in between, the same `process_id` reads the batch again. It stops when the
 * queue's figures say nothing is pending.
 *
 * With LISTEN_PORT it also listens on 127.0.0.1 for ONOFFLINEEVENT (bind it with
 * `handler=http://127.0.0.1:<LISTEN_PORT>/`): each notification triggers a drain, so records
 * are fetched when they arrive instead of by polling (docs/notifications.md).
 */
import { createServer } from 'node:http';

const hook = process.env.HOOK;
if (!hook) {
  console.error('HOOK is required: the webhook_url that `npm run admin -- install` printed');
  process.exit(2);
}

interface Record {
  ID: string;
  EVENT_NAME: string;
  EVENT_DATA: unknown;
  MESSAGE_ID: string;
}
interface Reply<T> {
  result?: T;
  queue?: { pending: number };
  error?: string;
  error_description?: string;
}

async function call<T>(method: string, params: object): Promise<Reply<T>> {
  const response = await fetch(`${hook}${method}.json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(params) });
  const reply = (await response.json()) as Reply<T>;
  if (reply.error) throw new Error(`${method}: ${reply.error}: ${reply.error_description}`);
  return reply;
}

/** Reserve, handle, clear, until nothing is pending. Returns how many records were handled. */
async function drain(): Promise<number> {
  let handled = 0;
  for (;;) {
    const got = await call<{ process_id: string; events: Record[] }>('event.offline.get', { clear: 0, limit: 50 });
    const { process_id: processId, events } = got.result!;
    for (const record of events) console.log(JSON.stringify({ id: record.ID, event: record.EVENT_NAME, data: record.EVENT_DATA }));
    if (events.length > 0) await call('event.offline.clear', { process_id: processId });
    handled += events.length;
    if (events.length === 0 || got.queue?.pending === 0) return handled;
  }
}

const listenPort = process.env.LISTEN_PORT;
if (!listenPort) {
  drain().then(
    (count) => console.error(`drained ${count} record(s)`),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
} else {
  // One drain at a time; a notification during a drain asks for one more.
  let running: Promise<void> | undefined;
  let again = false;
  const onNotification = () => {
    if (running) {
      again = true;
      return;
    }
    running = drain()
      .then((count) => console.error(`ONOFFLINEEVENT: drained ${count} record(s)`))
      .catch((error: unknown) => console.error(error instanceof Error ? error.message : error))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          onNotification();
        }
      });
  };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      // Form (default) or JSON body; only the event name matters here (a notification carries
      // no records). Check the signature as examples/handler.ts does before trusting more of it.
      const json = (req.headers['content-type'] ?? '').startsWith('application/json');
      const event = json ? (JSON.parse(body || '{}') as { event?: string }).event : new URLSearchParams(body).get('event');
      if (req.method === 'POST' && event === 'ONOFFLINEEVENT') onNotification();
      res.writeHead(200).end(req.method === 'POST' ? '' : 'ok\n');
    });
  });
  server.listen(Number(listenPort), '127.0.0.1', () => {
    console.error(`consumer listening for ONOFFLINEEVENT on http://127.0.0.1:${listenPort}/`);
    onNotification(); // what waited before this consumer started
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
