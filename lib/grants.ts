import { Effect, PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { KEY_PREFIXES } from '../lambdas/adapters/dynamo/tables';

/**
 * DynamoDB grants without `Scan` (only the admin CLI scans, with the operator's own
 * credentials) and, where a function needs only some items of a table, limited to the items
 * whose partition key starts with given prefixes (`dynamodb:LeadingKeys`).
 *
 * CDK's `grantReadData` includes `dynamodb:Scan`, and a Scan with a LeadingKeys condition is
 * refused anyway (it names no partition key), so these helpers list the actions themselves.
 */
export const READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem', 'dynamodb:DescribeTable'] as const;
export const WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'] as const;

export type Access = 'read' | 'write';

export interface ItemGrant {
  /** 'read' (no Scan), 'write' (read + put/update/delete), or exactly these actions. */
  access: Access | readonly string[];
  /**
   * Partition-key prefixes the function may touch (each becomes `prefix*` under
   * `ForAllValues:StringLike` on `dynamodb:LeadingKeys`); absent = every item of the table.
   */
  leadingKeys?: readonly string[];
}

/** Tables that have secondary indexes (Storage declares them): only their grants cover `<table>/index/*`. */
const indexed = new WeakSet<Table>();
export function declareIndexed(table: Table): void {
  indexed.add(table);
}

function actionsOf(access: ItemGrant['access']): string[] {
  if (access === 'read') return [...READ_ACTIONS];
  if (access === 'write') return [...READ_ACTIONS, ...WRITE_ACTIONS];
  return [...access];
}

/**
 * Grants `grantee` the given access to `table` (and its indexes, if it has any), limited to the items whose
 * partition key starts with one of `leadingKeys` when given. The statement is added to the
 * grantee's own policy, so the helper can be called per function and per table, in any order.
 */
export function grantItems(table: Table, grantee: IGrantable, grant: ItemGrant): void {
  const statement = new PolicyStatement({
    effect: Effect.ALLOW,
    actions: actionsOf(grant.access),
    resources: indexed.has(table) ? [table.tableArn, `${table.tableArn}/index/*`] : [table.tableArn],
    ...(grant.leadingKeys ? { conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': grant.leadingKeys.map((p) => `${p}*`) } } } : {}),
  });
  grantee.grantPrincipal.addToPrincipalPolicy(statement);
}

const R = KEY_PREFIXES.registry;
const D = KEY_PREFIXES.deliveries;

/**
 * The registry items (credential hashes, signing secrets, client-secret hashes, ID slots)
 * each kind of function may reach. Application items (`APP#`, the client-secret hashes) are
 * read only by the OAuth function.
 */
export const REGISTRY_ITEMS = {
  /** The web console reads installations (per portal: no Scan, see docs/console.md) and its own credentials. */
  consoleRead: { access: 'read', leadingKeys: [R.portal, R.credential] },
  /** The web console's sessions and application links (credentials, stored hashed). */
  consoleSessions: { access: ['dynamodb:PutItem', 'dynamodb:DeleteItem'], leadingKeys: [R.credential] },
  /** Authenticate a REST call: the credential, then the portal's installation. */
  authenticate: { access: 'read', leadingKeys: [R.credential, R.portal] },
  /** event.bind records a new connector on the installation. */
  addConnector: { access: ['dynamodb:UpdateItem'], leadingKeys: [R.portal] },
  /** Portals and installations, read only. */
  installations: { access: 'read', leadingKeys: [R.portal] },
  /** Journal writers lease ID slots (id-slot-leaser.ts). */
  idSlots: { access: 'write', leadingKeys: [R.idSlot] },
  /** Minting tokens for a delivery's `auth` block: new credential items, never read back. */
  mintTokens: { access: ['dynamodb:PutItem'], leadingKeys: [R.credential] },
  /** OAuth refresh: the application's secret hash, the refresh token, the installation; new tokens replace the old. */
  oauth: { access: 'read', leadingKeys: [R.application, R.credential, R.portal] },
  oauthTokens: { access: ['dynamodb:PutItem', 'dynamodb:DeleteItem'], leadingKeys: [R.credential] },
} as const satisfies Record<string, ItemGrant>;

/** The deliveries table's kinds of items, per use. */
export const DELIVERIES_ITEMS = {
  /** The web console re-enables a switched-off handler (its health row). */
  consoleHealth: { access: ['dynamodb:UpdateItem'], leadingKeys: [D.health] },
  /** Every REST call takes from its application's bucket: one conditional UpdateItem. */
  rateLimit: { access: ['dynamodb:UpdateItem'], leadingKeys: [D.rateLimit] },
  /** Handler health and the attempt log (delivery-log-repository.ts). */
  deliveryLog: { access: 'write', leadingKeys: [D.health, D.attempts] },
  /** ONOFFLINEEVENT throttle rows. */
  notificationThrottle: { access: 'write', leadingKeys: [D.notificationThrottle] },
  /** Publish idempotency rows (publish-ledger-repository.ts): UpdateItem only. */
  publishLedger: { access: ['dynamodb:UpdateItem'], leadingKeys: [D.publishLedger] },
} as const satisfies Record<string, ItemGrant>;
