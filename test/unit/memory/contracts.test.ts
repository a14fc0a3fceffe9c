import { bindingStoreContract } from '../../contract/binding-store.contract';
import { deliveryLogContract } from '../../contract/delivery-log.contract';
import { journalStoreContract } from '../../contract/journal-store.contract';
import { notificationThrottleContract } from '../../contract/notification-throttle.contract';
import { publishLedgerContract } from '../../contract/publish-ledger.contract';
import { rateLimiterContract } from '../../contract/rate-limiter.contract';
import { registryStoreContract } from '../../contract/registry-store.contract';
import { MemoryBindingStore, MemoryDeliveryLog, MemoryJournalStore, MemoryNotificationThrottle, MemoryPublishLedger, MemoryRateLimiter, MemoryRegistryStore } from '../../support/memory';

// The in-memory ports pass the same contract suites as the DynamoDB adapters
// (test/integration/contracts.test.ts): what the use-case unit tests rely on holds for both.
journalStoreContract('in memory', (claimLifetimeMs) => new MemoryJournalStore({ claimLifetimeMs }));
bindingStoreContract('in memory', () => new MemoryBindingStore());
registryStoreContract('in memory', () => new MemoryRegistryStore());
notificationThrottleContract('in memory', () => new MemoryNotificationThrottle());
deliveryLogContract('in memory', () => new MemoryDeliveryLog());
rateLimiterContract('in memory', (settings) => new MemoryRateLimiter(settings));
publishLedgerContract('in memory', () => new MemoryPublishLedger());
