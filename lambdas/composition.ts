import { readFileSync } from 'node:fs';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BindingRepository } from './adapters/dynamo/binding-repository';
import { documentClient } from './adapters/dynamo/client';
import { DeliveryLogRepository } from './adapters/dynamo/delivery-log-repository';
import { DynamoSlotLeaser } from './adapters/dynamo/id-slot-leaser';
import { JournalRepository } from './adapters/dynamo/journal-repository';
import { NotificationThrottleRepository } from './adapters/dynamo/notification-throttle-repository';
import { PublishLedgerRepository } from './adapters/dynamo/publish-ledger-repository';
import { DynamoRateLimiter } from './adapters/dynamo/rate-limiter';
import { RegistryRepository } from './adapters/dynamo/registry-repository';
import { DynamoScheduleStore } from './adapters/dynamo/schedule-store';
import { HttpHandlerSender } from './adapters/http/handler-sender';
import { EventBridgeNotificationScheduler } from './adapters/scheduler/eventbridge-scheduler';
import { SqsDeadLetterQueue } from './adapters/sqs/dead-letter-queue';
import { SqsDeliveryQueue } from './adapters/sqs/delivery-queue';
import { traceAwsCalls, withTraceHeader } from './adapters/tracing';
import type { Config } from './config';
import { EventCatalog } from './domain/catalog';
import { IdGenerator } from './domain/ids';
import type { NotificationScheduler } from './domain/ports';
import { LeasedRateLimiter, leaseSize } from './domain/rate-limit';
import { CredentialCache } from './usecases/authenticate';
import type { DeliverySettings } from './usecases/deliver';
import { QueueUpkeep } from './usecases/queue-upkeep';
import type { TokenSettings } from './usecases/tokens';

/**
 * The composition root: one plain factory per adapter, each building it from the typed
 * configuration. A Lambda entry (or a method descriptor's `deps`) calls exactly the factories
 * it needs, so what a function carries is visible in its own file and esbuild bundles only
 * those adapters; the admin CLI, the local runtime and the tests call the same factories.
 *
 * Each factory builds once per configuration object (once per Lambda container, since
 * `config()` parses the environment once) and hands the same instance out after that, so
 * every request of a container shares its clients and their connections. Each factory is
 * marked pure, so esbuild drops the ones a function never calls, and their adapters with them.
 */
function once<T>(build: (cfg: Config) => T): (cfg: Config) => T {
  const built = new WeakMap<Config, T>();
  return (cfg) => {
    if (!built.has(cfg)) built.set(cfg, build(cfg));
    return built.get(cfg)!;
  };
}

export const dynamoClient = /* @__PURE__ */ once(
  (cfg): DynamoDBDocumentClient => documentClient({ region: cfg.AWS_REGION, ...(cfg.DYNAMODB_ENDPOINT ? { endpoint: cfg.DYNAMODB_ENDPOINT } : {}) }),
);

/** An SQS client; with an endpoint (the local emulator) it uses static local credentials. */
export function sqsClient(cfg: Pick<Config, 'AWS_REGION' | 'SQS_ENDPOINT'>): SQSClient {
  return traceAwsCalls(
    new SQSClient({
      region: cfg.AWS_REGION,
      ...(cfg.SQS_ENDPOINT ? { endpoint: cfg.SQS_ENDPOINT, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
    }),
    'SQS',
  );
}

/** Runs one SQS record's work inside the trace its message carries (publish → SQS → deliver; adapters/tracing.ts). */
export const traceRecord = withTraceHeader;

export const registryStore = /* @__PURE__ */ once((cfg) => new RegistryRepository(dynamoClient(cfg), cfg.TABLE_REGISTRY));

export const bindingStore = /* @__PURE__ */ once((cfg) => new BindingRepository(dynamoClient(cfg), cfg.TABLE_BINDINGS));

export const journalStore = /* @__PURE__ */ once(
  (cfg) =>
    new JournalRepository(
      dynamoClient(cfg),
      cfg.TABLE_JOURNAL,
      new IdGenerator(new DynamoSlotLeaser(dynamoClient(cfg), cfg.TABLE_REGISTRY)),
      cfg.CLAIM_LIFETIME_SECONDS * 1000,
    ),
);

/** Retention and size limit of the offline queues, applied after writes and gets (usecases/queue-upkeep.ts). */
export const queueUpkeep = /* @__PURE__ */ once(
  (cfg) =>
    new QueueUpkeep(journalStore(cfg), {
      retentionMs: cfg.JOURNAL_RETENTION_DAYS * 24 * 3600 * 1000,
      maxRecords: cfg.JOURNAL_QUEUE_MAX_RECORDS,
      intervalMs: cfg.JOURNAL_TRIM_INTERVAL_SECONDS * 1000,
    }),
);

export const deliveryLog = /* @__PURE__ */ once((cfg) => new DeliveryLogRepository(dynamoClient(cfg), cfg.TABLE_DELIVERIES, cfg.ATTEMPT_RETENTION_DAYS * 24 * 3600));

export const notificationThrottle = /* @__PURE__ */ once((cfg) => new NotificationThrottleRepository(dynamoClient(cfg), cfg.TABLE_DELIVERIES));

/** The publish idempotency window (usecases/publish.ts). */
export const publishLedger = /* @__PURE__ */ once((cfg) => new PublishLedgerRepository(dynamoClient(cfg), cfg.TABLE_DELIVERIES));

export const rateLimiter = /* @__PURE__ */ once(
  (cfg) => new DynamoRateLimiter(dynamoClient(cfg), cfg.TABLE_DELIVERIES, { perSecond: cfg.RATE_LIMIT_PER_SECOND, burst: cfg.RATE_LIMIT_BURST }),
);

/**
 * The REST front's rate limiter: the shared bucket above, spent in leases of a few requests per
 * container (domain/rate-limit.ts; the bound is in docs/limits.md).
 */
export const apiRateLimiter = /* @__PURE__ */ once(
  (cfg) => new LeasedRateLimiter(rateLimiter(cfg), leaseSize({ perSecond: cfg.RATE_LIMIT_PER_SECOND, burst: cfg.RATE_LIMIT_BURST }, cfg.RATE_LIMIT_LEASE), cfg.RATE_LIMIT_LEASE_MS),
);

/** What the REST front authenticates with: the registry, remembered for AUTH_CACHE_MS (docs/rest-api.md). */
export const credentialCache = /* @__PURE__ */ once((cfg) => new CredentialCache(registryStore(cfg), cfg.AUTH_CACHE_MS, Date.now));

export const deliveryQueue = /* @__PURE__ */ once((cfg) => {
  if (!cfg.DELIVERY_QUEUE_URL || !cfg.DELIVERY_DLQ_URL) throw new Error('Invalid configuration: DELIVERY_QUEUE_URL and DELIVERY_DLQ_URL are required to send deliveries');
  return new SqsDeliveryQueue(sqsClient(cfg), cfg.DELIVERY_QUEUE_URL, cfg.DELIVERY_DLQ_URL);
});

/** The deliveries dead-letter queue, read and redriven by the operator console (docs/console.md). */
export const deadLetterQueue = /* @__PURE__ */ once((cfg) => new SqsDeadLetterQueue(sqsClient(cfg), cfg.DELIVERY_DLQ_URL!, deliveryQueue(cfg)));

export const handlerSender = /* @__PURE__ */ once((cfg) => new HttpHandlerSender(cfg.HANDLER_ALLOW_PRIVATE));

/**
 * Where trailing ONOFFLINEEVENT notifications are scheduled: EventBridge Scheduler on AWS,
 * the deliveries table (fired by the local runtime) locally. Only publish schedules; the
 * notifier cannot carry its own ARN in its environment, so it never builds this.
 */
export const notificationScheduler = /* @__PURE__ */ once((cfg): NotificationScheduler => {
  if (cfg.SCHEDULER === 'dynamodb') return new DynamoScheduleStore(dynamoClient(cfg), cfg.TABLE_DELIVERIES);
  if (!cfg.SCHEDULE_GROUP || !cfg.NOTIFIER_ARN || !cfg.SCHEDULER_ROLE_ARN) {
    throw new Error('Invalid configuration: SCHEDULE_GROUP, NOTIFIER_ARN and SCHEDULER_ROLE_ARN are required to schedule with EventBridge Scheduler');
  }
  return new EventBridgeNotificationScheduler(traceAwsCalls(new SchedulerClient({ region: cfg.AWS_REGION }), 'Scheduler'), {
    ...(cfg.SCHEDULER_DLQ_ARN ? { deadLetterArn: cfg.SCHEDULER_DLQ_ARN } : {}),
    groupName: cfg.SCHEDULE_GROUP,
    notifierArn: cfg.NOTIFIER_ARN,
    roleArn: cfg.SCHEDULER_ROLE_ARN,
  });
});

/** The event catalog, with the deployment's extension file when it has one. */
export const eventCatalog = /* @__PURE__ */ once((cfg) => EventCatalog.withExtension(loadCatalogExtension(cfg.EVENT_CATALOG_FILE)));

export function loadCatalogExtension(file: string | undefined): Record<string, string> | undefined {
  if (!file) return undefined;
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { events?: Record<string, string> };
  if (!parsed.events || typeof parsed.events !== 'object') throw new Error(`EVENT_CATALOG_FILE ${file} has no "events" object`);
  return parsed.events;
}

/** How tokens handed to applications are minted. */
export function tokenSettings(cfg: Config): TokenSettings {
  return { publicUrl: cfg.PUBLIC_URL, accessTokenTtl: cfg.ACCESS_TOKEN_TTL_SECONDS, refreshTokenTtl: cfg.REFRESH_TOKEN_TTL_SECONDS };
}

/** How deliveries are sent, retried and encoded. */
export function deliverySettings(cfg: Config): DeliverySettings {
  return {
    ...tokenSettings(cfg),
    timeoutMs: cfg.DELIVERY_TIMEOUT_MS,
    retries: cfg.DELIVERY_RETRIES,
    retryBaseSeconds: cfg.DELIVERY_RETRY_BASE_SECONDS,
    format: cfg.DELIVERY_FORMAT,
    knownForMs: cfg.DELIVERY_CACHE_SECONDS * 1000,
    switchOffSeconds: cfg.DELIVERY_SWITCH_OFF_SECONDS,
  };
}
