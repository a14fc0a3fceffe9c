import { readFileSync } from 'node:fs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient } from './adapters/dynamo/client';
import { BindingRepository } from './adapters/dynamo/binding-repository';
import { DynamoSlotLeaser } from './adapters/dynamo/id-slot-leaser';
import { JournalRepository } from './adapters/dynamo/journal-repository';
import { RegistryRepository } from './adapters/dynamo/registry-repository';
import { RecordingDeliveryQueue } from './adapters/recording-delivery-queue';
import { config, type Config } from './config';
import { EventCatalog } from './domain/catalog';
import { IdGenerator } from './domain/ids';
import type { DeliveryQueue } from './domain/ports';

/**
 * The one place that builds clients and repositories from configuration. Built once per
 * process (per Lambda container), on first use, and shared by every request.
 */
export interface Wiring extends Stores {
  config: Config;
  db: DynamoDBDocumentClient;
  deliveries: DeliveryQueue;
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

export function buildWiring(cfg: Config): Wiring {
  const db = documentClient({ region: cfg.AWS_REGION, ...(cfg.DYNAMODB_ENDPOINT ? { endpoint: cfg.DYNAMODB_ENDPOINT } : {}) });
  return {
    config: cfg,
    db,
    ...buildStores(db, { registry: cfg.TABLE_REGISTRY, bindings: cfg.TABLE_BINDINGS, journal: cfg.TABLE_JOURNAL }, cfg.CLAIM_LIFETIME_SECONDS),
    deliveries: new RecordingDeliveryQueue(),
    catalog: EventCatalog.withExtension(loadCatalogExtension(cfg.EVENT_CATALOG_FILE)),
  };
}

function loadCatalogExtension(file: string | undefined): Record<string, string> | undefined {
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
