import * as z from 'zod';
import { BITRIX_RATE_LIMIT } from './domain/rate-limit';

/**
 * Everything the handlers read from the environment, validated once at cold start.
 * CDK sets these on each function; the local runtime sets them before loading handlers.
 * A missing or malformed variable fails fast, naming the variable.
 */
const schema = z.object({
  TABLE_REGISTRY: z.string().min(1),
  TABLE_BINDINGS: z.string().min(1),
  TABLE_JOURNAL: z.string().min(1),
  TABLE_DELIVERIES: z.string().min(1),
  /** DynamoDB endpoint override (DynamoDB Local); unset on AWS. */
  DYNAMODB_ENDPOINT: z.url().optional(),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  /** This service's public base URL, e.g. https://api.example.com (no trailing slash). */
  PUBLIC_URL: z.url().transform((u) => u.replace(/\/+$/, '')),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().positive().default(3600),
  REFRESH_TOKEN_TTL_SECONDS: z.coerce.number().int().positive().default(28 * 24 * 3600),
  /** How producers authenticate: a shared key (local runtime) or IAM on the API route (AWS). */
  PRODUCER_AUTH: z.enum(['key', 'iam']).default('iam'),
  PRODUCER_KEY: z.string().min(16).optional(),
  /** Optional JSON file `{ "events": { "NAME": "scope" } }` that extends the event catalog. */
  EVENT_CATALOG_FILE: z.string().min(1).optional(),
  /** Claimed journal records expire after this many seconds (docs/journal.md). */
  CLAIM_LIFETIME_SECONDS: z.coerce.number().int().positive().default(24 * 3600),
  /** Pending journal records not written for this many days are removed (docs/journal.md, "Retention and queue size"). */
  JOURNAL_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** Pending records of one kind an offline queue keeps; the oldest beyond are removed. */
  JOURNAL_QUEUE_MAX_RECORDS: z.coerce.number().int().min(1).max(100_000_000).default(1_000_000),
  /** A queue is trimmed (retention, size limit, expired claims) at most once per this many seconds. */
  JOURNAL_TRIM_INTERVAL_SECONDS: z.coerce.number().int().min(0).max(7 * 24 * 3600).default(3600),
  /** How long publish remembers what a producer message_id wrote, so a retry does not repeat it; 0 = off (docs/producer.md). */
  PUBLISH_IDEMPOTENCY_SECONDS: z.coerce.number().int().min(0).max(7 * 24 * 3600).default(900),
  /** SQS endpoint override (the local emulator); unset on AWS. */
  SQS_ENDPOINT: z.url().optional(),
  /** The delivery queue and its dead-letter queue (docs/delivery.md); required by the functions that send. */
  DELIVERY_QUEUE_URL: z.url().optional(),
  DELIVERY_DLQ_URL: z.url().optional(),
  /** A handler that has not answered 2xx within this many ms failed. */
  DELIVERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** Attempts after the first; 0 = no retry, as Bitrix24. */
  DELIVERY_RETRIES: z.coerce.number().int().min(0).max(10).default(0),
  /** First retry after this many seconds, doubling (at most 900 s apart). */
  DELIVERY_RETRY_BASE_SECONDS: z.coerce.number().int().min(1).max(900).default(30),
  /** A handler that has failed every delivery for this many seconds is switched off for the application (docs/delivery.md "Dead handlers"); default 24 h. */
  DELIVERY_SWITCH_OFF_SECONDS: z.coerce.number().int().min(1).max(365 * 24 * 3600).default(24 * 3600),
  /** Body of deliveries: PHP-style form (as Bitrix24) or JSON. */
  DELIVERY_FORMAT: z.enum(['form', 'json']).default('form'),
  /**
   * How long a delivery worker keeps what it read of installations, handler health and bindings
   * (docs/delivery.md): an uninstall or unbind stops deliveries within this bound. 0 = read every time.
   */
  DELIVERY_CACHE_SECONDS: z.coerce.number().int().min(0).max(60).default(5),
  /** 1 = deliver to private and loopback addresses too (the local runtime's default). */
  HANDLER_ALLOW_PRIVATE: z.enum(['0', '1']).default('0').transform((v) => v === '1'),
  /**
   * Where ONOFFLINEEVENT trailing notifications are scheduled: EventBridge Scheduler (AWS) or
   * the deliveries table, fired by the local runtime.
   */
  SCHEDULER: z.enum(['eventbridge', 'dynamodb']).default('eventbridge'),
  /** EventBridge Scheduler's group, target and role: set on the functions that schedule (publish). */
  SCHEDULE_GROUP: z.string().min(1).optional(),
  NOTIFIER_ARN: z.string().min(1).optional(),
  SCHEDULER_ROLE_ARN: z.string().min(1).optional(),
  /** Where EventBridge Scheduler parks a notification it could not hand to the notifier (the target's dead-letter queue). */
  SCHEDULER_DLQ_ARN: z.string().min(1).optional(),
  /** Read by Powertools (lambdas/wire/metrics.ts, logger.ts): each stage's metric namespace and service name. */
  POWERTOOLS_METRICS_NAMESPACE: z.string().min(1).optional(),
  POWERTOOLS_SERVICE_NAME: z.string().min(1).optional(),
  /** Delivery attempts are kept this many days. */
  ATTEMPT_RETENTION_DAYS: z.coerce.number().int().min(1).max(365).default(7),
  /** Largest request body accepted, in bytes (docs/limits.md). */
  MAX_BODY_BYTES: z.coerce.number().int().positive().default(1024 * 1024),
  /** Per-application leaky bucket (docs/limits.md): drain rate per second (0 = no limit) and size; Bitrix24's 2 and 50 by default. */
  RATE_LIMIT_PER_SECOND: z.coerce.number().min(0).max(100_000).default(BITRIX_RATE_LIMIT.perSecond),
  RATE_LIMIT_BURST: z.coerce.number().int().min(1).max(1_000_000).default(BITRIX_RATE_LIMIT.burst),
  /**
   * The largest lease: requests a container takes from an application's shared bucket at once
   * and spends without a write (leases grow from 1), at most a tenth of the burst; 1 = a write
   * per request (docs/limits.md).
   */
  RATE_LIMIT_LEASE: z.coerce.number().int().min(1).max(10_000).default(10),
  /** A lease not spent within this many ms is dropped (docs/limits.md). */
  RATE_LIMIT_LEASE_MS: z.coerce.number().int().min(1).max(60_000).default(1000),
  /**
   * A container keeps the credentials and installations it read for this many ms: a revoked
   * token or an uninstalled application is refused at the latest this long after (docs/rest-api.md); 0 = no cache.
   */
  AUTH_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(5000),
  /** Web console (docs/console.md): how long a signed-in session lasts, and how long an application link the admin CLI prints is valid. */
  CONSOLE_SESSION_SECONDS: z.coerce.number().int().min(1).max(30 * 24 * 3600).default(8 * 3600),
  CONSOLE_LINK_SECONDS: z.coerce.number().int().min(60).max(30 * 24 * 3600).default(24 * 3600),
});

export type Config = z.infer<typeof schema>;

/** Every variable the handlers read: the CDK stack may set only these (a test checks it). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(schema.shape);

export function parseConfig(env: NodeJS.ProcessEnv): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  const config = parsed.data;
  if (config.PRODUCER_AUTH === 'key' && !config.PRODUCER_KEY) {
    throw new Error('Invalid configuration: PRODUCER_KEY: required when PRODUCER_AUTH=key');
  }
  return config;
}

let cached: Config | undefined;

/** The process's configuration, parsed on first use. */
export function config(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}
