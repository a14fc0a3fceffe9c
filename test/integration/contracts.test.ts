import { BindingRepository } from '../../lambdas/adapters/dynamo/binding-repository';
import { documentClient } from '../../lambdas/adapters/dynamo/client';
import { DeliveryLogRepository } from '../../lambdas/adapters/dynamo/delivery-log-repository';
import { DynamoSlotLeaser } from '../../lambdas/adapters/dynamo/id-slot-leaser';
import { JournalRepository } from '../../lambdas/adapters/dynamo/journal-repository';
import { NotificationThrottleRepository } from '../../lambdas/adapters/dynamo/notification-throttle-repository';
import { PublishLedgerRepository } from '../../lambdas/adapters/dynamo/publish-ledger-repository';
import { DynamoRateLimiter } from '../../lambdas/adapters/dynamo/rate-limiter';
import { RegistryRepository } from '../../lambdas/adapters/dynamo/registry-repository';
import { IdGenerator } from '../../lambdas/domain/ids';
import { bindingStoreContract } from '../contract/binding-store.contract';
import { deliveryLogContract } from '../contract/delivery-log.contract';
import { journalStoreContract } from '../contract/journal-store.contract';
import { notificationThrottleContract } from '../contract/notification-throttle.contract';
import { publishLedgerContract } from '../contract/publish-ledger.contract';
import { rateLimiterContract } from '../contract/rate-limiter.contract';
import { registryStoreContract } from '../contract/registry-store.contract';

// The DynamoDB adapters against DynamoDB Local (started by jest's global setup), built from
// their constructors and the tables the global setup created, through the same contract suites
// the in-memory ports pass (test/unit/memory/contracts.test.ts).
const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: this file needs jest's global setup (DynamoDB Local)`);
  return value;
};
const db = documentClient({ region: env('AWS_REGION'), endpoint: env('DYNAMODB_ENDPOINT') });
const ids = new IdGenerator(new DynamoSlotLeaser(db, env('TABLE_REGISTRY')));

afterAll(() => db.destroy());

journalStoreContract('DynamoDB', (claimLifetimeMs) => new JournalRepository(db, env('TABLE_JOURNAL'), ids, claimLifetimeMs));
bindingStoreContract('DynamoDB', () => new BindingRepository(db, env('TABLE_BINDINGS')));
registryStoreContract('DynamoDB', () => new RegistryRepository(db, env('TABLE_REGISTRY')));
notificationThrottleContract('DynamoDB', () => new NotificationThrottleRepository(db, env('TABLE_DELIVERIES')));
deliveryLogContract('DynamoDB', () => new DeliveryLogRepository(db, env('TABLE_DELIVERIES'), 3600));
rateLimiterContract('DynamoDB', (settings) => new DynamoRateLimiter(db, env('TABLE_DELIVERIES'), settings));
publishLedgerContract('DynamoDB', () => new PublishLedgerRepository(db, env('TABLE_DELIVERIES')));
