import { readFileSync } from 'node:fs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient } from './adapters/dynamo/client';
import { BindingRepository } from './adapters/dynamo/binding-repository';
import { DynamoSlotLeaser } from './adapters/dynamo/id-slot-leaser';
import { JournalRepository } from './adapters/dynamo/journal-repository';
import { RegistryRepository } from './adapters/dynamo/registry-repository';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NotificationThrottleRepository } from './adapters/dynamo/notification-throttle-repository';
import { DynamoScheduleStore } from './adapters/dynamo/schedule-store';
import { EventBridgeNotificationScheduler } from './adapters/scheduler/eventbridge-scheduler';
import { DeliveryLogRepository } from './adapters/dynamo/delivery-log-repository';
import { HttpHandlerSender } from './adapters/http/handler-sender';
import { SqsDeliveryQueue } from './adapters/sqs/delivery-queue';
import { config, type Config } from './config';
import { EventCatalog } from './domain/catalog';
import { IdGenerator } from './domain/ids';
import type { DeliveryQueue, HandlerSender, NotificationScheduler } from './domain/ports';
import type { DeliverySettings } from './usecases/deliver';

/**
 * The one place that builds clients and repositories from configuration. Built once per
 * process (per Lambda container), on first use, and shared by every request.
 */
export interface Wiring extends Stores {
  config: Config;
  db: DynamoDBDocumentClient;
  deliveries: DeliveryQueue;
  deliveryLog: DeliveryLogRepository;
  throttle: NotificationThrottleRepository;
  scheduler: NotificationScheduler;
  sender: HandlerSender;
  deliverySettings: DeliverySettings;
  catalog: EventCatalog;
}

export interface Stores {
  registry: RegistryRepository;
  bindings: BindingRepository;
  journal: JournalRepository;
}

/** The repositories over one client: used by the handlers' wiring and by the admin CLI. */
export function buildStores(
  db: DynamoDBDocumentClient,
  tables: { registry: string; bindings: string; journal: string },
  claimLifetimeSeconds: number,
): Stores {
  const ids = new IdGenerator(new DynamoSlotLeaser(db, tables.registry));
  return {
    registry: new RegistryRepository(db, tables.registry),
    bindings: new BindingRepository(db, tables.bindings),
    journal: new JournalRepository(db, tables.journal, ids, claimLifetimeSeconds * 1000),
  };
}

/**
 * The scheduler of trailing ONOFFLINEEVENT notifications. Built on first use: only publish
 * schedules, and the notifier cannot carry its own ARN in its environment.
 */
export function notificationScheduler(cfg: Config, db: DynamoDBDocumentClient): NotificationScheduler {
  if (cfg.SCHEDULER === 'dynamodb') return new DynamoScheduleStore(db, cfg.TABLE_DELIVERIES);
  if (!cfg.SCHEDULE_GROUP || !cfg.NOTIFIER_ARN || !cfg.SCHEDULER_ROLE_ARN) {
    throw new Error('Invalid configuration: SCHEDULE_GROUP, NOTIFIER_ARN and SCHEDULER_ROLE_ARN are required to schedule with EventBridge Scheduler');
  }
  return new EventBridgeNotificationScheduler(new SchedulerClient({ region: cfg.AWS_REGION }), {
    groupName: cfg.SCHEDULE_GROUP,
    notifierArn: cfg.NOTIFIER_ARN,
    roleArn: cfg.SCHEDULER_ROLE_ARN,
  });
}

export function buildWiring(cfg: Config): Wiring {
  const db = documentClient({ region: cfg.AWS_REGION, ...(cfg.DYNAMODB_ENDPOINT ? { endpoint: cfg.DYNAMODB_ENDPOINT } : {}) });
  let scheduler: NotificationScheduler | undefined;
  return {
    get scheduler() {
      scheduler ??= notificationScheduler(cfg, db);
      return scheduler;
    },
    config: cfg,
    db,
    ...buildStores(db, { registry: cfg.TABLE_REGISTRY, bindings: cfg.TABLE_BINDINGS, journal: cfg.TABLE_JOURNAL }, cfg.CLAIM_LIFETIME_SECONDS),
    deliveries: new SqsDeliveryQueue(sqsClient(cfg), cfg.DELIVERY_QUEUE_URL, cfg.DELIVERY_DLQ_URL),
    deliveryLog: new DeliveryLogRepository(db, cfg.TABLE_DELIVERIES, cfg.ATTEMPT_RETENTION_DAYS * 24 * 3600),
    throttle: new NotificationThrottleRepository(db, cfg.TABLE_DELIVERIES),
    sender: new HttpHandlerSender(cfg.HANDLER_ALLOW_PRIVATE),
    deliverySettings: {
      publicUrl: cfg.PUBLIC_URL,
      accessTokenTtl: cfg.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtl: cfg.REFRESH_TOKEN_TTL_SECONDS,
      timeoutMs: cfg.DELIVERY_TIMEOUT_MS,
      retries: cfg.DELIVERY_RETRIES,
      retryBaseSeconds: cfg.DELIVERY_RETRY_BASE_SECONDS,
      format: cfg.DELIVERY_FORMAT,
    },
    catalog: EventCatalog.withExtension(loadCatalogExtension(cfg.EVENT_CATALOG_FILE)),
  };
}

export function sqsClient(cfg: Pick<Config, 'AWS_REGION' | 'SQS_ENDPOINT'>): SQSClient {
  return new SQSClient({
    region: cfg.AWS_REGION,
    ...(cfg.SQS_ENDPOINT ? { endpoint: cfg.SQS_ENDPOINT, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
}

export function loadCatalogExtension(file: string | undefined): Record<string, string> | undefined {
  if (!file) return undefined;
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { events?: Record<string, string> };
  if (!parsed.events || typeof parsed.events !== 'object') throw new Error(`EVENT_CATALOG_FILE ${file} has no "events" object`);
  return parsed.events;
}

let built: Wiring | undefined;

export function wiring(): Wiring {
  built ??= buildWiring(config());
  return built;
}
