import { readFileSync } from 'node:fs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient } from './adapters/dynamo/client';
import { BindingRepository } from './adapters/dynamo/binding-repository';
import { DynamoSlotLeaser } from './adapters/dynamo/id-slot-leaser';
import { JournalRepository } from './adapters/dynamo/journal-repository';
import { RegistryRepository } from './adapters/dynamo/registry-repository';
import { NotificationThrottleRepository } from './adapters/dynamo/notification-throttle-repository';
import { DeliveryLogRepository } from './adapters/dynamo/delivery-log-repository';
import { DynamoRateLimiter } from './adapters/dynamo/rate-limiter';
import { config, type Config } from './config';
import { EventCatalog } from './domain/catalog';
import { IdGenerator } from './domain/ids';
import type { DeliveryQueue, HandlerSender, NotificationScheduler, RateLimiter } from './domain/ports';
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
  rateLimiter: RateLimiter;
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
 * The adapters that send out of the service (lambdas/outbound/). Each is handed over by
 * importing its module rather than imported here, so a function is bundled only with the ones
 * it uses: most REST methods without the SQS and Scheduler clients, only deliver with the HTTP
 * sender, only publish with the Scheduler client.
 */
export interface Outbound {
  deliveryQueue(cfg: Config): DeliveryQueue;
  scheduler(cfg: Config, db: DynamoDBDocumentClient): NotificationScheduler;
  sender(cfg: Config): HandlerSender;
}

const outbound: Partial<Outbound> = {};

export function provideOutbound(adapters: Partial<Outbound>): void {
  Object.assign(outbound, adapters);
}

function needOutbound<K extends keyof Outbound>(name: K): Outbound[K] {
  const factory = outbound[name];
  if (!factory) throw new Error(`This function was built without the outbound adapter '${name}': its entry must import it from lambdas/outbound`);
  return factory;
}

export function buildWiring(cfg: Config): Wiring {
  const db = documentClient({ region: cfg.AWS_REGION, ...(cfg.DYNAMODB_ENDPOINT ? { endpoint: cfg.DYNAMODB_ENDPOINT } : {}) });
  let scheduler: NotificationScheduler | undefined;
  let deliveries: DeliveryQueue | undefined;
  let sender: HandlerSender | undefined;
  return {
    // Built on first use: only functions that send reach these (see Outbound).
    get scheduler() {
      scheduler ??= needOutbound('scheduler')(cfg, db);
      return scheduler;
    },
    get deliveries() {
      deliveries ??= needOutbound('deliveryQueue')(cfg);
      return deliveries;
    },
    get sender() {
      sender ??= needOutbound('sender')(cfg);
      return sender;
    },
    config: cfg,
    db,
    ...buildStores(db, { registry: cfg.TABLE_REGISTRY, bindings: cfg.TABLE_BINDINGS, journal: cfg.TABLE_JOURNAL }, cfg.CLAIM_LIFETIME_SECONDS),
    deliveryLog: new DeliveryLogRepository(db, cfg.TABLE_DELIVERIES, cfg.ATTEMPT_RETENTION_DAYS * 24 * 3600),
    throttle: new NotificationThrottleRepository(db, cfg.TABLE_DELIVERIES),
    rateLimiter: new DynamoRateLimiter(db, cfg.TABLE_DELIVERIES, { perSecond: cfg.RATE_LIMIT_PER_SECOND, burst: cfg.RATE_LIMIT_BURST }),
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
