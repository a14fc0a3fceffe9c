// First: the handlers' logger reads its level when it is loaded.
import './quiet';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, Agent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import qs from 'qs';
import { documentClient } from '../lambdas/adapters/dynamo/client';
import { forEachLimited } from '../lambdas/domain/concurrency';
import { install } from '../lambdas/usecases/installations';
import { wiring } from '../test/support/wiring';
import { freePort } from '../local/dynamodb';
import { LOCAL_TABLES, startLocalStack, type LocalStack } from '../local/stack';
import { measureBundles, round, BUNDLE_GOAL_BYTES, type BundleFigures } from './bundles';
import { CapacityMeter, type Units } from './capacity';
import { estimateCost, type CostEstimate } from './cost';

/**
 * `npm run bench` (`-- --quick` for a run under 5 minutes on 2 cores): starts its own local
 * stack (DynamoDB Local, the SQS emulator, the delivery worker, the HTTP front) in a temporary
 * DATA_DIR and measures each figure next to its floor, in the same run, on the same services.
 * Writes bench/results.json and prints a table. Goals are reported, never asserted.
 */
const QUICK = process.argv.includes('--quick');
/**
 * `--only=drain,api`: measure just those sections (while working on one hot path); the figures
 * are printed as JSON and written to bench/results.partial.json, never to bench/results.json.
 */
const ONLY = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const runs = (section: string): boolean => !ONLY || ONLY.includes(section);
const SIZE = QUICK
  ? { ingest: 2000, drain: 1000, drainClear0: 500, delivery: 500, singleEvents: 50, apiCalls: 40, coldRuns: 3 }
  : { ingest: 10000, drain: 5000, drainClear0: 1000, delivery: 2000, singleEvents: 100, apiCalls: 200, coldRuns: 5 };
const CONSUMERS = 8;
const PUBLISH_BATCH = 50;
const PUBLISH_IN_FLIGHT = 4;
/** The service keeps at most 64 journal writes in flight (all requests of the process together): the raw floor keeps as many. */
const RAW_WRITES_IN_FLIGHT = 64;
/** The delivery worker: loops of up to 10 messages delivered in parallel (Lambda runs several batches at once too). */
const WORKER_LOOPS = 8;
const DELIVERIES_IN_FLIGHT = WORKER_LOOPS * 10;
/** A claim deletes up to 16 records at once; 8 consumers: the raw delete floor keeps 16 in flight. */
const RAW_DELETES_IN_FLIGHT = 16;

const meter = new CapacityMeter();
const sqsRequests: Record<string, number> = {};
const log = (line: string) => process.stderr.write(`${line}\n`);

interface App {
  memberId: string;
  token: string;
}

async function main(): Promise<void> {
  const started = Date.now();
  countSqsRequests();
  const dataDir = mkdtempSync(join(tmpdir(), 'b24-bench-'));
  // DynamoDB Local always: AWS's engine, and the per-index consumed capacity the meter adds up (docs/engines.md).
  const stack = await startLocalStack({ port: await freePort(), dataDir, inMemory: true, engine: 'local', workerConcurrency: WORKER_LOOPS, producerKey: randomBytes(16).toString('hex') });
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  try {
    const deps = wiring();
    meter.attach(deps.db);
    const raw = documentClient({ region: 'us-east-1', endpoint: deps.config.DYNAMODB_ENDPOINT! });
    const client = new Client(stack, agent);
    log(`bench: ${QUICK ? 'quick' : 'full'} run, stack on ${stack.url}`);

    if (ONLY) {
      const sections: Record<string, () => Promise<unknown>> = {
        ingest: () => benchIngest(client, raw),
        drain: () => benchDrain(client, raw),
        delivery: () => benchDelivery(client),
        api: () => benchApi(client, raw),
        bundles: () => measureBundles(SIZE.coldRuns),
      };
      const partial: Record<string, unknown> = { generated_at: new Date().toISOString(), mode: QUICK ? 'quick' : 'full', only: ONLY };
      for (const name of Object.keys(sections)) if (runs(name)) partial[name] = await sections[name]!();
      // The cost estimate needs the three event paths; with them, a partial run prints it too.
      if (partial.ingest && partial.drain && partial.delivery) {
        partial.cost = estimateCost({ ingest: partial.ingest, drain: partial.drain, delivery: partial.delivery, api: partial.api } as Parameters<typeof estimateCost>[0]);
      }
      writeFileSync(join(__dirname, 'results.partial.json'), `${JSON.stringify(partial, null, 2)}\n`);
      process.stdout.write(`${JSON.stringify(partial, null, 2)}\nwrote bench/results.partial.json\n`);
      return;
    }
    const ingest = await benchIngest(client, raw);
    log(`ingest: ${ingest.events_per_s}/s vs raw ${ingest.raw_put_per_s}/s`);
    const drain = await benchDrain(client, raw);
    log(`drain: ${drain.events_per_s}/s vs raw ${drain.raw_delete_per_s}/s`);
    const delivery = await benchDelivery(client);
    log(`delivery: ${delivery.events_per_s}/s vs raw ${delivery.raw_post_per_s}/s`);
    const api = await benchApi(client, raw);
    log(`api: floor p50 ${api.floor_p50_ms} ms`);
    const bundles = await measureBundles(SIZE.coldRuns);
    log(`bundles: largest ${bundles.largest_bytes} B`);

    const results = {
      generated_at: new Date().toISOString(),
      mode: QUICK ? 'quick' : 'full',
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? '?', node: process.version },
      storage: 'DynamoDB Local in memory (the floors run on the same instance)',
      duration_s: 0,
      ingest,
      drain,
      delivery,
      latency: delivery.latency,
      api,
      bundles,
      cost: estimateCost({ ingest, drain, delivery, api }),
      goals: {} as Record<string, Goal>,
    };
    results.goals = goals(ingest, drain, delivery, api, bundles, results.cost);
    results.duration_s = round((Date.now() - started) / 1000, 1);
    writeFileSync(join(__dirname, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(table(results));
    process.stdout.write(`\nwrote bench/results.json (${results.duration_s} s)\n`);
  } finally {
    agent.destroy();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP against the local front

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

class Client {
  constructor(
    private readonly stack: LocalStack,
    private readonly agent: Agent,
  ) {}

  post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    return postJson(`${this.stack.url}${path}`, body, this.agent, headers);
  }

  rest(app: App, method: string, params: Record<string, unknown> = {}): Promise<Answer> {
    return this.post(`/rest/${method}?auth=${app.token}`, params);
  }

  async publish(memberId: string, events: unknown[]): Promise<Answer> {
    const answer = await this.post('/producer/events', { member_id: memberId, events }, { authorization: `Bearer ${this.stack.producerKey}` });
    if (answer.status !== 200) throw new Error(`publish answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer;
  }

  /** Publishes `events` in requests of PUBLISH_BATCH, PUBLISH_IN_FLIGHT at a time. */
  async publishAll(memberId: string, events: unknown[]): Promise<void> {
    const batches: unknown[][] = [];
    for (let i = 0; i < events.length; i += PUBLISH_BATCH) batches.push(events.slice(i, i + PUBLISH_BATCH));
    await forEachLimited(batches, PUBLISH_IN_FLIGHT, (batch) => this.publish(memberId, batch).then(() => undefined));
  }
}

function postJson(url: string, body: unknown, agent: Agent, headers: Record<string, string> = {}): Promise<Answer> {
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', agent, headers: { 'content-type': typeof body === 'string' ? 'application/x-www-form-urlencoded' : 'application/json', 'content-length': Buffer.byteLength(payload), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

let appCounter = 0;
async function newApp(client: Client, offline: string[] = [], online: { event: string; handler: string }[] = []): Promise<App> {
  const deps = wiring();
  const memberId = randomBytes(16).toString('hex');
  const out = await install(
    { registry: deps.registry, bindings: deps.bindings, journal: deps.journal, publicUrl: deps.config.PUBLIC_URL, accessTokenTtl: 86400, refreshTokenTtl: 86400 * 30 },
    { memberId, domain: `bench${++appCounter}.example.com`, clientId: `local.bench${appCounter}`, userId: 1, admin: true },
    Date.now(),
  );
  const app = { memberId, token: out.access_token as string };
  for (const event of offline) await expectOk(client.rest(app, 'event.bind', { event, event_type: 'offline' }));
  for (const b of online) await expectOk(client.rest(app, 'event.bind', b));
  return app;
}

async function expectOk(answer: Promise<Answer>): Promise<Answer> {
  const a = await answer;
  if (a.status !== 200) throw new Error(`answered ${a.status}: ${JSON.stringify(a.body)}`);
  return a;
}

const deals = (from: number, count: number, extra: (id: number) => Record<string, unknown> = () => ({})) =>
  Array.from({ length: count }, (_, i) => ({ event: 'ONCRMDEALUPDATE', data: { FIELDS: { ID: from + i }, ...extra(from + i) }, user_id: 1 }));

/**
 * An item shaped like a journal record (~300 B), for the raw floors. `indexed` gives it the
 * `ord` attribute, so DynamoDB also writes it to the byOrder index, as a pending record is.
 */
function rawItem(pk: string, i: number, indexed = false): Record<string, unknown> {
  const id = 1e14 + i;
  return { pk, sk: `P#${randomBytes(16).toString('hex')}`, id, ts: Date.now(), ev: 'ONCRMDEALUPDATE', data: JSON.stringify({ FIELDS: { ID: i } }), add: '{"user_id":1}', mid: randomBytes(16).toString('hex'), ver: 1, ...(indexed ? { ord: `P#${String(id).padStart(16, '0')}` } : {}) };
}

/** PutItem each item, `inFlight` at a time. */
function putAll(raw: ReturnType<typeof documentClient>, items: Record<string, unknown>[], inFlight: number): Promise<void> {
  return forEachLimited(items, inFlight, (item) => raw.send(new PutCommand({ TableName: LOCAL_TABLES.journal, Item: item })).then(() => undefined));
}

/** The journal's write of each item as a new record: the same conditional UpdateItem, with ReturnValues, `inFlight` at a time. */
function updateAll(raw: ReturnType<typeof documentClient>, items: Record<string, unknown>[], inFlight: number): Promise<void> {
  return forEachLimited(items, inFlight, (item) =>
    raw
      .send(
        new UpdateCommand({
          TableName: LOCAL_TABLES.journal,
          Key: { pk: item.pk, sk: item.sk },
          UpdateExpression: 'SET ts = :ts, ev = :ev, #data = :data, #add = :add, mid = :mid, id = if_not_exists(id, :id), ord = if_not_exists(ord, :ord) ADD ver :one',
          ConditionExpression: 'attribute_not_exists(id) OR id < :idBound',
          ExpressionAttributeNames: { '#data': 'data', '#add': 'add' },
          ExpressionAttributeValues: { ':ts': item.ts, ':ev': item.ev, ':data': item.data, ':add': item.add, ':mid': item.mid, ':id': item.id, ':ord': item.ord, ':idBound': Number.MAX_SAFE_INTEGER, ':one': 1 },
          ReturnValues: 'UPDATED_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      )
      .then(() => undefined),
  );
}

/** Conditional DeleteItem of each item (as a claim deletes), `inFlight` at a time. */
function deleteAll(raw: ReturnType<typeof documentClient>, items: Record<string, unknown>[], inFlight: number): Promise<void> {
  return forEachLimited(items, inFlight, (item) =>
    raw.send(new DeleteCommand({ TableName: LOCAL_TABLES.journal, Key: { pk: item.pk, sk: item.sk }, ConditionExpression: 'attribute_exists(pk)' })).then(() => undefined),
  );
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const t = process.hrtime.bigint();
  const value = await work();
  return { value, seconds: Number(process.hrtime.bigint() - t) / 1e9 };
}

const perSecond = (count: number, seconds: number) => round(count / seconds, 0);

/** The service's throughput next to its floor's, for the same count. */
function sideBySide(count: number, seconds: number, floorSeconds: number): { perS: number; floorPerS: number; ratio: number } {
  const perS = perSecond(count, seconds);
  const floorPerS = perSecond(count, floorSeconds);
  return { perS, floorPerS, ratio: round(perS / floorPerS) };
}
const perEvent = (units: number, count: number) => round(units / count, 3);

// ---------------------------------------------------------------------------------------------
// ingest

export interface IngestFigures {
  events: number;
  events_per_s: number;
  raw_put_per_s: number;
  ratio: number;
  /** The same PutItem with the index attribute: DynamoDB writes the byOrder entry too, as it does for a new record. */
  raw_put_indexed_per_s: number;
  ratio_to_indexed_put: number;
  /** The journal's own write, raw: the conditional UpdateItem that merges or creates a record (journal-repository.ts), same count and concurrency. */
  raw_update_per_s: number;
  ratio_to_update: number;
  write_units_per_new_record: number;
  write_units_per_merge: number;
  read_units_per_event: number;
  units_by_table: Units['byTable'];
  publish_request_ms: number;
  events_per_publish_request: number;
  concurrency: { publish_requests_in_flight: number; raw_puts_in_flight: number };
}

async function benchIngest(client: Client, raw: ReturnType<typeof documentClient>): Promise<IngestFigures> {
  const app = await newApp(client, ['ONCRMDEALUPDATE']);
  const n = SIZE.ingest;
  await client.publish(app.memberId, deals(0, 1)); // the writer leases its ID slot before timing
  const created = await meter.measure(() => timed(() => client.publishAll(app.memberId, deals(1, n))));
  const merged = await meter.measure(() => client.publishAll(app.memberId, deals(1, n)));
  const rawPut = await timed(() => putAll(raw, Array.from({ length: n }, (_, i) => rawItem('BENCH#ingest', i)), RAW_WRITES_IN_FLIGHT));
  const rawIndexed = await timed(() => putAll(raw, Array.from({ length: n }, (_, i) => rawItem('BENCH#ingest-indexed', i, true)), RAW_WRITES_IN_FLIGHT));
  const rawUpdate = await timed(() => updateAll(raw, Array.from({ length: n }, (_, i) => rawItem('BENCH#ingest-update', i, true)), RAW_WRITES_IN_FLIGHT));
  const requests = Math.ceil(n / PUBLISH_BATCH);
  const side = sideBySide(n, created.value.seconds, rawPut.seconds);
  return {
    events: n,
    events_per_s: side.perS,
    raw_put_per_s: side.floorPerS,
    ratio: side.ratio,
    raw_put_indexed_per_s: perSecond(n, rawIndexed.seconds),
    ratio_to_indexed_put: round(side.perS / perSecond(n, rawIndexed.seconds)),
    raw_update_per_s: perSecond(n, rawUpdate.seconds),
    ratio_to_update: round(side.perS / perSecond(n, rawUpdate.seconds)),
    write_units_per_new_record: perEvent(created.units.write, n),
    write_units_per_merge: perEvent(merged.units.write, n),
    read_units_per_event: perEvent(created.units.read, n),
    units_by_table: created.units.byTable,
    publish_request_ms: round((created.value.seconds * 1000 * PUBLISH_IN_FLIGHT) / requests),
    events_per_publish_request: PUBLISH_BATCH,
    concurrency: { publish_requests_in_flight: PUBLISH_IN_FLIGHT, raw_puts_in_flight: RAW_WRITES_IN_FLIGHT },
  };
}

// ---------------------------------------------------------------------------------------------
// drain

export interface DrainFigures {
  records: number;
  consumers: number;
  events_per_s: number;
  raw_delete_per_s: number;
  ratio: number;
  /** The same conditional DeleteItem of items that have a byOrder entry, as pending records do. */
  raw_delete_indexed_per_s: number;
  ratio_to_indexed_delete: number;
  write_units_per_event_clear1: number;
  write_units_per_event_clear0: number;
  read_units_per_event: number;
  /** Conditional writes on the journal that failed (a claim or a lease lost to a parallel call), per event drained with clear=1: each is a billed write unit. */
  race_write_units_per_event: number;
  failed_conditional_writes: number;
  get_calls: number;
  get_call_ms: number;
  duplicates: number;
  lost: number;
  clear0: { records: number; events_per_s: number; duplicates: number; lost: number };
}

interface Drained {
  received: number[];
  calls: number;
}

/** CONSUMERS loops of event.offline.get until the queue is empty; with clear=0 each batch is then cleared. */
async function drainQueue(client: Client, app: App, clear: 0 | 1): Promise<Drained> {
  const received: number[] = [];
  let calls = 0;
  await Promise.all(
    Array.from({ length: CONSUMERS }, async () => {
      for (;;) {
        const got = await expectOk(client.rest(app, 'event.offline.get', { limit: 50, clear }));
        calls++;
        const result = got.body.result as { process_id: string | null; events: { EVENT_DATA: { FIELDS: { ID: number } } }[] };
        for (const e of result.events) received.push(e.EVENT_DATA.FIELDS.ID);
        if (clear === 0 && result.events.length > 0) await expectOk(client.rest(app, 'event.offline.clear', { process_id: result.process_id }));
        const pending = (got.body.queue as { pending: number }).pending;
        if (result.events.length === 0 && pending === 0) return;
      }
    }),
  );
  return { received, calls };
}

function check(received: number[], count: number): { duplicates: number; lost: number } {
  const unique = new Set(received);
  let lost = 0;
  for (let id = 1; id <= count; id++) if (!unique.has(id)) lost++;
  return { duplicates: received.length - unique.size, lost };
}

async function benchDrain(client: Client, raw: ReturnType<typeof documentClient>): Promise<DrainFigures> {
  const n = SIZE.drain;
  const app = await newApp(client, ['ONCRMDEALUPDATE']);
  await client.publishAll(app.memberId, deals(1, n));
  const drained = await meter.measure(() => timed(() => drainQueue(client, app, 1)));
  const { duplicates, lost } = check(drained.value.value.received, n);

  const n0 = SIZE.drainClear0;
  const app0 = await newApp(client, ['ONCRMDEALUPDATE']);
  await client.publishAll(app0.memberId, deals(1, n0));
  const drained0 = await meter.measure(() => timed(() => drainQueue(client, app0, 0)));
  const check0 = check(drained0.value.value.received, n0);

  const items = Array.from({ length: n }, (_, i) => rawItem('BENCH#drain', i));
  await putAll(raw, items, RAW_WRITES_IN_FLIGHT);
  const rawDelete = await timed(() => deleteAll(raw, items, RAW_DELETES_IN_FLIGHT));
  const indexed = Array.from({ length: n }, (_, i) => rawItem('BENCH#drain-indexed', i, true));
  await putAll(raw, indexed, RAW_WRITES_IN_FLIGHT);
  const rawIndexedDelete = await timed(() => deleteAll(raw, indexed, RAW_DELETES_IN_FLIGHT));
  const side = sideBySide(n, drained.value.seconds, rawDelete.seconds);
  return {
    records: n,
    consumers: CONSUMERS,
    events_per_s: side.perS,
    raw_delete_per_s: side.floorPerS,
    ratio: side.ratio,
    raw_delete_indexed_per_s: perSecond(n, rawIndexedDelete.seconds),
    ratio_to_indexed_delete: round(side.perS / perSecond(n, rawIndexedDelete.seconds)),
    write_units_per_event_clear1: perEvent(drained.units.write, n),
    write_units_per_event_clear0: perEvent(drained0.units.write, n0),
    read_units_per_event: perEvent(drained.units.read, n),
    race_write_units_per_event: perEvent(drained.units.byTable[LOCAL_TABLES.journal]?.failedConditions ?? 0, n),
    failed_conditional_writes: drained.units.failedConditions,
    get_calls: drained.value.value.calls,
    get_call_ms: round((drained.value.seconds * 1000 * CONSUMERS) / drained.value.value.calls),
    duplicates,
    lost,
    clear0: { records: n0, events_per_s: perSecond(n0, drained0.value.seconds), ...check0 },
  };
}

// ---------------------------------------------------------------------------------------------
// delivery

export interface DeliveryFigures {
  events: number;
  events_per_s: number;
  raw_post_per_s: number;
  ratio: number;
  p50_ms: number;
  p99_ms: number;
  delivered: number;
  sqs_requests_per_event: number;
  sqs_receives_per_event: number;
  /** Worker time per SQS batch (loops × wall time ÷ receives): what a deliver invocation is billed at most. */
  deliver_invocation_ms: number;
  write_units_per_event: number;
  read_units_per_event: number;
  concurrency: { worker_deliveries_in_flight: number; raw_posts_in_flight: number };
  /**
   * Publish → handler, ms. Single: `singleEvents` events one at a time (the next published once
   * the sink has the previous one). Burst: the throughput run above, `events` published at once
   * (50 per request, 4 requests in flight) behind one another in the queue (p50_ms / p99_ms).
   */
  latency: { single_events: number; single_p50_ms: number; single_p99_ms: number; burst_events: number; burst_p50_ms: number; burst_p99_ms: number };
}

interface Sink {
  url: string;
  received: Map<number, number>;
  waitFor(count: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

async function startSink(): Promise<Sink> {
  const received = new Map<number, number>();
  let waiter: { count: number; resolve: () => void } | undefined;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = Date.now();
      const body = qs.parse(Buffer.concat(chunks).toString('utf8')) as { data?: { FIELDS?: { ID?: string }; T?: string } };
      const id = Number(body.data?.FIELDS?.ID);
      const sentAt = Number(body.data?.T);
      if (Number.isFinite(id) && Number.isFinite(sentAt) && !received.has(id)) received.set(id, now - sentAt);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      if (waiter && received.size >= waiter.count) waiter.resolve();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    waitFor: (count, timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        if (received.size >= count) return resolve();
        const timer = setTimeout(() => reject(new Error(`sink got ${received.size} of ${count} deliveries`)), timeoutMs);
        waiter = { count, resolve: () => (clearTimeout(timer), resolve()) };
      }),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

async function benchDelivery(client: Client): Promise<DeliveryFigures> {
  const sink = await startSink();
  try {
    const n = SIZE.delivery;
    const app = await newApp(client, [], [{ event: 'ONCRMDEALUPDATE', handler: sink.url }]);
    const sqsBefore = totalSqs();
    const receivesBefore = sqsRequests.ReceiveMessageCommand ?? 0;
    const events = deals(1, n, () => ({ T: 0 }));
    const measured = await meter.measure(() =>
      timed(async () => {
        const batches: (typeof events)[] = [];
        for (let i = 0; i < events.length; i += PUBLISH_BATCH) batches.push(events.slice(i, i + PUBLISH_BATCH));
        await forEachLimited(batches, PUBLISH_IN_FLIGHT, async (batch) => {
          const sentAt = Date.now();
          for (const e of batch) (e.data as unknown as { T: number }).T = sentAt;
          await client.publish(app.memberId, batch);
        });
        await sink.waitFor(n, 120_000);
      }),
    );
    const sqsUsed = totalSqs() - sqsBefore;
    const receives = (sqsRequests.ReceiveMessageCommand ?? 0) - receivesBefore;
    const latencies = [...sink.received.values()].sort((a, b) => a - b);

    // The floor: the same form bodies POSTed straight to the sink from this process.
    const rawBody = (id: number) => qs.stringify({ event: 'ONCRMDEALUPDATE', data: { FIELDS: { ID: id }, T: Date.now() }, ts: 0, auth: { application_token: 'x' } });
    const rawAgent = new Agent({ keepAlive: true, maxSockets: DELIVERIES_IN_FLIGHT });
    const rawPost = await timed(() =>
      forEachLimited(
        Array.from({ length: n }, (_, i) => n + 1 + i),
        DELIVERIES_IN_FLIGHT,
        (id) => postForm(sink.url, rawBody(id), rawAgent),
      ),
    );
    rawAgent.destroy();
    const side = sideBySide(n, measured.value.seconds, rawPost.seconds);

    // One event at a time: what a lone event waits, from publish to the handler.
    const single: number[] = [];
    for (let i = 0; i < SIZE.singleEvents; i++) {
      const id = 10 * n + i;
      await client.publish(app.memberId, deals(id, 1, () => ({ T: Date.now() })));
      await sink.waitFor(sink.received.size + 1, 30_000);
      single.push(sink.received.get(id)!);
    }
    single.sort((a, b) => a - b);
    return {
      events: n,
      events_per_s: side.perS,
      raw_post_per_s: side.floorPerS,
      ratio: side.ratio,
      p50_ms: percentile(latencies, 50),
      p99_ms: percentile(latencies, 99),
      delivered: latencies.length,
      sqs_requests_per_event: perEvent(sqsUsed, n),
      sqs_receives_per_event: perEvent(receives, n),
      deliver_invocation_ms: round((WORKER_LOOPS * measured.value.seconds * 1000) / receives),
      write_units_per_event: perEvent(measured.units.write, n),
      read_units_per_event: perEvent(measured.units.read, n),
      concurrency: { worker_deliveries_in_flight: DELIVERIES_IN_FLIGHT, raw_posts_in_flight: DELIVERIES_IN_FLIGHT },
      latency: {
        single_events: single.length,
        single_p50_ms: percentile(single, 50),
        single_p99_ms: percentile(single, 99),
        burst_events: latencies.length,
        burst_p50_ms: percentile(latencies, 50),
        burst_p99_ms: percentile(latencies, 99),
      },
    };
  } finally {
    await sink.close();
  }
}

function postForm(url: string, body: string, agent: Agent): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', agent, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end(body);
  });
}

function countSqsRequests(): void {
  const send = SQSClient.prototype.send as (...args: unknown[]) => Promise<unknown>;
  SQSClient.prototype.send = function (this: SQSClient, ...args: unknown[]) {
    const name = (args[0] as { constructor: { name: string } }).constructor.name;
    sqsRequests[name] = (sqsRequests[name] ?? 0) + 1;
    return send.apply(this, args);
  } as typeof SQSClient.prototype.send;
}

const totalSqs = () => Object.entries(sqsRequests).reduce((sum, [name, count]) => sum + (name === 'CreateQueueCommand' || name === 'GetQueueUrlCommand' ? 0 : count), 0);

// ---------------------------------------------------------------------------------------------
// api

export interface ApiFigures {
  calls_per_method: number;
  floor_p50_ms: number;
  methods: Record<string, { p50_ms: number; p99_ms: number; ratio_to_floor: number }>;
}

async function latencies(count: number, call: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = process.hrtime.bigint();
    await call(i);
    out.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return out.sort((a, b) => a - b);
}

async function benchApi(client: Client, raw: ReturnType<typeof documentClient>): Promise<ApiFigures> {
  const n = SIZE.apiCalls;
  const app = await newApp(client, ['ONCRMDEALUPDATE'], [{ event: 'ONCRMDEALADD', handler: 'https://hooks.example.com/deal' }]);
  // One record per get, clear and error call; list reads a queue of its own, 100 records long.
  await client.publishAll(app.memberId, deals(1, 3 * n));
  const listApp = await newApp(client, ['ONCRMDEALUPDATE']);
  await client.publishAll(listApp.memberId, deals(1, 100));
  // One reserved record per clear and error call, claimed one at a time before timing.
  const claims: { processId: string; messageId: string }[] = [];
  while (claims.length < 2 * n) {
    const got = await expectOk(client.rest(app, 'event.offline.get', { limit: 1, clear: 0 }));
    const result = got.body.result as { process_id: string; events: { MESSAGE_ID: string }[] };
    if (result.events.length === 0) throw new Error('the API queue ran dry');
    claims.push({ processId: result.process_id, messageId: result.events[0]!.MESSAGE_ID });
  }
  const forClear = claims.slice(0, n);
  const forError = claims.slice(n);

  const ok = (answer: Promise<Answer>) => expectOk(answer);
  const plan: Record<string, (i: number) => Promise<unknown>> = {
    events: () => ok(client.rest(app, 'events')),
    // Before the binds below: the application has its two bindings.
    'event.get': () => ok(client.rest(app, 'event.get')),
    'event.bind': (i) => ok(client.rest(app, 'event.bind', { event: 'ONCRMDEALDELETE', handler: `https://h${i}.example.com/x` })),
    'event.unbind': (i) => ok(client.rest(app, 'event.unbind', { event: 'ONCRMDEALDELETE', handler: `https://h${i}.example.com/x` })),
    'event.offline.get': () => ok(client.rest(app, 'event.offline.get', { limit: 1 })),
    'event.offline.list': () => ok(client.rest(listApp, 'event.offline.list')),
    'event.offline.clear': (i) => ok(client.rest(app, 'event.offline.clear', { process_id: forClear[i]!.processId })),
    'event.offline.error': (i) => ok(client.rest(app, 'event.offline.error', { process_id: forError[i]!.processId, message_id: [forError[i]!.messageId] })),
    'event.test': () => ok(client.rest(app, 'event.test')),
    batch: () => ok(client.rest(app, 'batch', { cmd: { bound: 'event.get', catalog: 'events' } })),
  };
  const floor = await latencies(n, () => raw.send(new GetCommand({ TableName: LOCAL_TABLES.registry, Key: { pk: `PORTAL#${app.memberId}`, sk: 'PORTAL' } })));
  const floorP50 = percentile(floor, 50);
  const methods: ApiFigures['methods'] = {};
  for (const [name, call] of Object.entries(plan)) {
    const times = await latencies(n, call);
    methods[name] = { p50_ms: round(percentile(times, 50)), p99_ms: round(percentile(times, 99)), ratio_to_floor: round(percentile(times, 50) / floorP50, 1) };
  }
  return { calls_per_method: n, floor_p50_ms: round(floorP50), methods };
}

// ---------------------------------------------------------------------------------------------
// goals and the table

interface Goal {
  goal: string;
  measured: number;
  met: boolean;
}

function goals(ingest: IngestFigures, drain: DrainFigures, delivery: DeliveryFigures, api: ApiFigures, bundles: BundleFigures, cost: CostEstimate): Record<string, Goal> {
  const worstApi = Math.max(...Object.values(api.methods).map((m) => m.ratio_to_floor));
  const g = (goal: string, measured: number, met: boolean): Goal => ({ goal, measured, met });
  return {
    write_units_per_new_record: g('≤ 1', ingest.write_units_per_new_record, ingest.write_units_per_new_record <= 1),
    write_units_per_merge: g('≤ 1', ingest.write_units_per_merge, ingest.write_units_per_merge <= 1),
    write_units_per_event_clear1: g('≤ 1', drain.write_units_per_event_clear1, drain.write_units_per_event_clear1 <= 1),
    write_units_per_event_clear0: g('≤ 3', drain.write_units_per_event_clear0, drain.write_units_per_event_clear0 <= 3),
    ingest_ratio: g('≥ 0.8', ingest.ratio, ingest.ratio >= 0.8),
    drain_ratio: g('≥ 0.5', drain.ratio, drain.ratio >= 0.5),
    drain_read_units_per_event: g('≤ 2', drain.read_units_per_event, drain.read_units_per_event <= 2),
    drain_race_write_units_per_event: g('≤ 0.1', drain.race_write_units_per_event, drain.race_write_units_per_event <= 0.1),
    delivery_ratio: g('≥ 0.5', delivery.ratio, delivery.ratio >= 0.5),
    delivery_write_units_per_event: g('≤ 1', delivery.write_units_per_event, delivery.write_units_per_event <= 1),
    delivery_read_units_per_event: g('≤ 0.1', delivery.read_units_per_event, delivery.read_units_per_event <= 0.1),
    latency_single_p50_ms: g('≤ 50', delivery.latency.single_p50_ms, delivery.latency.single_p50_ms <= 50),
    latency_single_p99_ms: g('≤ 200', delivery.latency.single_p99_ms, delivery.latency.single_p99_ms <= 200),
    latency_burst_p50_ms: g('≤ 1000', delivery.latency.burst_p50_ms, delivery.latency.burst_p50_ms <= 1000),
    api_p50_to_floor_worst: g('≤ 3', worstApi, worstApi <= 3),
    cost_online_usd_per_million: g('≤ 0.75', cost.online_usd_per_million, cost.online_usd_per_million <= 0.75),
    cost_offline_usd_per_million: g('≤ 3.00', cost.offline_usd_per_million, cost.offline_usd_per_million <= 3),
    largest_bundle_bytes: g(`≤ ${BUNDLE_GOAL_BYTES}`, bundles.largest_bytes, bundles.largest_bytes <= BUNDLE_GOAL_BYTES),
    drain_duplicates_and_lost: g('= 0', drain.duplicates + drain.lost + drain.clear0.duplicates + drain.clear0.lost, drain.duplicates + drain.lost + drain.clear0.duplicates + drain.clear0.lost === 0),
  };
}

function table(r: { ingest: IngestFigures; drain: DrainFigures; delivery: DeliveryFigures; api: ApiFigures; bundles: BundleFigures; cost: CostEstimate; goals: Record<string, Goal>; mode: string }): string {
  const rows: string[][] = [['figure', 'measured', 'floor (same run)', 'ratio / goal']];
  rows.push(['ingest events/s', `${r.ingest.events_per_s}`, `${r.ingest.raw_put_per_s} PutItem/s`, `${r.ingest.ratio} (≥ 0.8)`]);
  rows.push(['  … against an indexed PutItem', '', `${r.ingest.raw_put_indexed_per_s} PutItem/s`, `${r.ingest.ratio_to_indexed_put}`]);
  rows.push(['  WRU per new record / merge', `${r.ingest.write_units_per_new_record} / ${r.ingest.write_units_per_merge}`, '', '≤ 1 / ≤ 1']);
  rows.push([`drain events/s (${r.drain.consumers} consumers, ${r.drain.records})`, `${r.drain.events_per_s}`, `${r.drain.raw_delete_per_s} DeleteItem/s`, `${r.drain.ratio} (≥ 0.5)`]);
  rows.push(['  … against an indexed DeleteItem', '', `${r.drain.raw_delete_indexed_per_s} DeleteItem/s`, `${r.drain.ratio_to_indexed_delete}`]);
  rows.push(['  WRU per event clear=1 / clear=0+clear', `${r.drain.write_units_per_event_clear1} / ${r.drain.write_units_per_event_clear0}`, '', '≤ 1 / ≤ 3']);
  rows.push(['  RRU per event; duplicates; lost', `${r.drain.read_units_per_event}; ${r.drain.duplicates + r.drain.clear0.duplicates}; ${r.drain.lost + r.drain.clear0.lost}`, '', '≤ 2; 0; 0']);
  rows.push(['  WRU lost to races per event', `${r.drain.race_write_units_per_event}`, '', '≤ 0.1']);
  rows.push(['delivery events/s', `${r.delivery.events_per_s}`, `${r.delivery.raw_post_per_s} POST/s`, `${r.delivery.ratio} (≥ 0.5)`]);
  rows.push(['  publish → receipt p50 / p99 ms', `${r.delivery.p50_ms} / ${r.delivery.p99_ms}`, '', '']);
  rows.push(['  WRU / RRU per delivered event', `${r.delivery.write_units_per_event} / ${r.delivery.read_units_per_event}`, '', '≤ 1 / ≤ 0.1']);
  rows.push([`  single event p50 / p99 ms (${r.delivery.latency.single_events})`, `${r.delivery.latency.single_p50_ms} / ${r.delivery.latency.single_p99_ms}`, '', '≤ 50 / ≤ 200']);
  rows.push([`  burst of ${r.delivery.latency.burst_events} p50 / p99 ms`, `${r.delivery.latency.burst_p50_ms} / ${r.delivery.latency.burst_p99_ms}`, '', '≤ 1000 p50']);
  for (const [name, m] of Object.entries(r.api.methods)) rows.push([`api ${name} p50 / p99 ms`, `${m.p50_ms} / ${m.p99_ms}`, `${r.api.floor_p50_ms} GetItem p50`, `${m.ratio_to_floor} (≤ 3)`]);
  for (const b of r.bundles.bundles) rows.push([`bundle ${b.entry}`, `${(b.bytes / 1000).toFixed(0)} kB, load ${b.cold_start_ms} ms`, `empty: ${r.bundles.empty_handler_cold_start_ms} ms`, `${b.bytes <= BUNDLE_GOAL_BYTES ? 'ok' : 'over'} (≤ 500 kB)`]);
  rows.push(['cost per million events, offline', `$${r.cost.offline_usd_per_million}`, '', '≤ $3.00']);
  rows.push(['cost per million events, online', `$${r.cost.online_usd_per_million}`, '', '≤ $0.75']);
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const line = (row: string[]) => `| ${row.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
  const missed = Object.entries(r.goals).filter(([, g]) => !g.met);
  return [
    `b24-event-hub benchmark (${r.mode})`,
    line(rows[0]!),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.slice(1).map(line),
    missed.length === 0 ? 'all goals met' : `goals missed: ${missed.map(([k, g]) => `${k} = ${g.measured} (goal ${g.goal})`).join('; ')}`,
    '',
  ].join('\n');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
