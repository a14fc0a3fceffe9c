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
export interface Wiring {
  config: Config;
  db: DynamoDBDocumentClient;
  registry: RegistryRepository;
  bindings: BindingRepository;
  journal: JournalRepository;
  deliveries: DeliveryQueue;
  catalog: EventCatalog;
}

export function buildWiring(cfg: Config): Wiring {
  const db = documentClient({ region: cfg.AWS_REGION, ...(cfg.DYNAMODB_ENDPOINT ? { endpoint: cfg.DYNAMODB_ENDPOINT } : {}) });
  const ids = new IdGenerator(new DynamoSlotLeaser(db, cfg.TABLE_REGISTRY));
  return {
    config: cfg,
    db,
    registry: new RegistryRepository(db, cfg.TABLE_REGISTRY),
    bindings: new BindingRepository(db, cfg.TABLE_BINDINGS),
    journal: new JournalRepository(db, cfg.TABLE_JOURNAL, ids, cfg.CLAIM_LIFETIME_SECONDS * 1000),
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
