import { round } from './bundles';

/**
 * AWS on-demand prices (us-east-1, USD) used for the estimate. Change them here for another
 * region; the cost table in docs/benchmarks.md is produced with these.
 */
export const PRICES = {
  dynamodbPerMillionWrite: 0.625,
  dynamodbPerMillionRead: 0.125,
  lambdaPerMillionRequests: 0.2,
  lambdaArmPerGbSecond: 0.0000133334,
  httpApiPerMillion: 1.0,
  sqsPerMillion: 0.4,
} as const;

/** The functions' memory (lib/service-function.ts default). */
const LAMBDA_GB = 0.5;

interface Inputs {
  ingest: { write_units_per_new_record: number; read_units_per_event: number; publish_request_ms: number; events_per_publish_request: number };
  drain: { write_units_per_event_clear1: number; read_units_per_event: number; get_calls: number; records: number; get_call_ms: number };
  delivery: { sqs_requests_per_event: number; sqs_receives_per_event: number; deliver_invocation_ms: number; write_units_per_event: number; read_units_per_event: number };
  api: unknown;
}

export interface CostEstimate {
  /** USD per million events delivered online (published, queued, delivered): issue 17's name. */
  online_usd_per_million: number;
  /** USD per million events read offline (published, journaled, drained with clear=1): issue 17's name. */
  offline_usd_per_million: number;
  /** The same two figures under the names earlier runs wrote (bench/results.json history). */
  offline_per_million_usd: number;
  online_per_million_usd: number;
  offline_breakdown: Record<string, number>;
  online_breakdown: Record<string, number>;
  prices: typeof PRICES;
  assumptions: string[];
}

const lambda = (invocationsPerEvent: number, ms: number) =>
  invocationsPerEvent * 1e6 * ((PRICES.lambdaPerMillionRequests / 1e6) + (ms / 1000) * LAMBDA_GB * PRICES.lambdaArmPerGbSecond);

/**
 * Cost per million events from the measured units and requests. Offline: published in batches,
 * journaled, drained with clear=1 in batches of 50. Online: published in batches, queued,
 * delivered. Lambda durations are the measured local request times (an upper bound: they
 * include the HTTP front and the client's wait).
 */
export function estimateCost(m: Inputs): CostEstimate {
  const publishPerEvent = 1 / m.ingest.events_per_publish_request;
  const getsPerEvent = m.drain.get_calls / m.drain.records;
  const offline = {
    api_gateway: (publishPerEvent + getsPerEvent) * PRICES.httpApiPerMillion,
    lambda: lambda(publishPerEvent, m.ingest.publish_request_ms) + lambda(getsPerEvent, m.drain.get_call_ms),
    dynamodb_write: (m.ingest.write_units_per_new_record + m.drain.write_units_per_event_clear1) * PRICES.dynamodbPerMillionWrite,
    dynamodb_read: (m.ingest.read_units_per_event + m.drain.read_units_per_event) * PRICES.dynamodbPerMillionRead,
  };
  const online = {
    api_gateway: publishPerEvent * PRICES.httpApiPerMillion,
    lambda: lambda(publishPerEvent, m.ingest.publish_request_ms) + lambda(m.delivery.sqs_receives_per_event, m.delivery.deliver_invocation_ms),
    sqs: m.delivery.sqs_requests_per_event * PRICES.sqsPerMillion,
    dynamodb_write: m.delivery.write_units_per_event * PRICES.dynamodbPerMillionWrite,
    dynamodb_read: m.delivery.read_units_per_event * PRICES.dynamodbPerMillionRead,
  };
  const sum = (o: Record<string, number>) => round(Object.values(o).reduce((a, b) => a + b, 0), 3);
  const rounded = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, round(v, 3)]));
  return {
    online_usd_per_million: sum(online),
    offline_usd_per_million: sum(offline),
    offline_per_million_usd: sum(offline),
    online_per_million_usd: sum(online),
    offline_breakdown: rounded(offline),
    online_breakdown: rounded(online),
    prices: PRICES,
    assumptions: [
      `publish requests of ${m.ingest.events_per_publish_request} events; drain with event.offline.get clear=1, limit 50`,
      'Lambda arm64 at 512 MB, billed for the measured local time per publish request, per get call and per delivery batch (upper bounds: they include queueing in this process)',
      'one deliver invocation per SQS receive that the worker made (empty polls included, as an event source mapping polls)',
      'DynamoDB on-demand; storage, data transfer, CloudWatch and free tiers left out',
    ],
  };
}
