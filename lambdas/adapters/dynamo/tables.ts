/**
 * The DynamoDB tables, described once for both the local runtime (which creates them in
 * DynamoDB Local) and the CDK stack (which declares them). Every key is a string `pk`/`sk`;
 * the access patterns and unit costs are written at the top of each repository.
 */
export interface IndexSpec {
  name: string;
  partitionKey: string;
  sortKey: string;
  sortKeyType: 'S' | 'N';
}

/** A local secondary index: same partition key as the table, another sort key, keys only. */
export interface LocalIndexSpec {
  name: string;
  sortKey: string;
  sortKeyType: 'S' | 'N';
}

export interface TableSpec {
  /** Logical name: the config variable is `TABLE_<NAME>` and the CDK construct id derives from it. */
  name: 'registry' | 'bindings' | 'journal' | 'deliveries';
  partitionKey: 'pk';
  sortKey: 'sk';
  indexes: IndexSpec[];
  localIndexes?: LocalIndexSpec[];
  /** Attribute holding the unix-seconds expiry, when items expire (DynamoDB TTL). */
  ttlAttribute?: string;
}

export const TABLES: readonly TableSpec[] = [
  { name: 'registry', partitionKey: 'pk', sortKey: 'sk', indexes: [], ttlAttribute: 'ttl' },
  {
    name: 'bindings',
    partitionKey: 'pk',
    sortKey: 'sk',
    indexes: [{ name: 'byApplication', partitionKey: 'app', sortKey: 'bid', sortKeyType: 'N' }],
  },
  {
    name: 'journal',
    partitionKey: 'pk',
    sortKey: 'sk',
    indexes: [],
    // Pending records in ID order (journal-repository.ts explains why and what it costs).
    localIndexes: [{ name: 'byOrder', sortKey: 'ord', sortKeyType: 'S' }],
    ttlAttribute: 'ttl',
  },
  // Handler health and the attempt log of online deliveries (delivery-log-repository.ts).
  { name: 'deliveries', partitionKey: 'pk', sortKey: 'sk', indexes: [], ttlAttribute: 'ttl' },
];

/**
 * The partition-key prefix of each kind of item, per table. The repositories build their keys
 * from these, and the CDK stack grants each function only the prefixes it needs
 * (`dynamodb:LeadingKeys`, lib/grants.ts): one list, so a grant cannot drift from a key.
 */
export const KEY_PREFIXES = {
  registry: { portal: 'PORTAL#', application: 'APP#', credential: 'CRED#', idSlot: 'IDSLOT#' },
  deliveries: { health: 'H#', attempts: 'A#', rateLimit: 'R#', notificationThrottle: 'N#', schedule: 'SCHEDULE', publishLedger: 'M#' },
} as const;
