import {
  DeleteCommand,
  GetCommand,
  paginateQuery,
  paginateScan,
  PutCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { Credential, Installation, Portal } from '../../domain/model';
import type { RegistryStore } from '../../domain/ports';
import { KEY_PREFIXES } from './tables';

/**
 * Registry table: portals, installations, applications, credentials, ID slots.
 *
 * | item           | pk                   | sk                  | notes                                  |
 * |----------------|----------------------|---------------------|----------------------------------------|
 * | portal         | PORTAL#{member_id}   | PORTAL              | domain                                 |
 * | installation   | PORTAL#{member_id}   | INSTALL#{client_id} | token, scopes, status, hosts, installer |
 * | application    | APP#{client_id}      | APP                 | sha256 of client_secret                |
 * | credential     | CRED#{sha256(secret)}| CRED                | access/refresh/webhook; `ttl` = expiry |
 * | ID slot lease  | IDSLOT#{n}           | IDSLOT              | see id-slot-leaser.ts                  |
 *
 * Access patterns and cost (on-demand units; items are well under 1 KB / 4 KB):
 * - authenticate a request: GetItem credential + GetItem installation, eventually
 *   consistent: 2 × 0.5 RRU.
 * - publish: GetItem portal (0.5 RRU) and GetItem installation per application with offline
 *   bindings (0.5 RRU each).
 * - install (admin CLI): PutItem portal, application, installation, 2–3 credentials (1 WRU each).
 * - list installations of a portal: Query pk = PORTAL#…; of every portal: a paginated Scan
 *   (operator command only, never on a request path).
 * Credentials are stored under the SHA-256 of the secret, never the secret itself. Access and
 * refresh tokens carry `ttl`, so DynamoDB removes them after they expire.
 */
export class RegistryRepository implements RegistryStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async getPortal(memberId: string): Promise<Portal | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: portalKey(memberId) }));
    return Item ? { memberId: Item.memberId, domain: Item.domain } : undefined;
  }

  async putPortal(portal: Portal): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { ...portalKey(portal.memberId), ...portal } }));
  }

  async getInstallation(memberId: string, clientId: string): Promise<Installation | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: installationKey(memberId, clientId) }),
    );
    return Item ? installationFromItem(Item) : undefined;
  }

  async putInstallation(installation: Installation): Promise<void> {
    const { connectors, ...rest } = installation;
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          ...installationKey(installation.memberId, installation.clientId),
          ...rest,
          // A DynamoDB string set cannot be empty: no connectors = no attribute.
          ...(connectors.length > 0 ? { connectors: new Set(connectors.map(encodeConnector)) } : {}),
        },
      }),
    );
  }

  async deleteInstallation(memberId: string, clientId: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: installationKey(memberId, clientId) }));
  }

  async listInstallations(memberId?: string): Promise<Installation[]> {
    const pages = memberId
      ? paginateQuery(
          { client: this.db },
          {
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
            ExpressionAttributeValues: { ':pk': `${PORTAL}${memberId}`, ':sk': 'INSTALL#' },
          },
        )
      : paginateScan({ client: this.db }, { TableName: this.table, FilterExpression: 'begins_with(sk, :sk)', ExpressionAttributeValues: { ':sk': 'INSTALL#' } });
    const installations: Installation[] = [];
    for await (const page of pages) installations.push(...(page.Items ?? []).map(installationFromItem));
    return installations;
  }

  async addConnector(memberId: string, clientId: string, connector: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: installationKey(memberId, clientId),
        UpdateExpression: 'ADD connectors :c',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':c': new Set([encodeConnector(connector)]) },
      }),
    );
  }

  async getClientSecretHash(clientId: string): Promise<string | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk: `${APP}${clientId}`, sk: 'APP' } }),
    );
    return Item?.clientSecretHash as string | undefined;
  }

  async putClientSecretHash(clientId: string, hash: string): Promise<void> {
    await this.db.send(
      new PutCommand({ TableName: this.table, Item: { pk: `${APP}${clientId}`, sk: 'APP', clientId, clientSecretHash: hash } }),
    );
  }

  async getCredential(secretHash: string): Promise<Credential | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: credentialKey(secretHash) }));
    if (!Item) return undefined;
    return {
      kind: Item.kind,
      memberId: Item.memberId,
      clientId: Item.clientId,
      userId: Item.userId,
      admin: Item.admin,
      generation: Item.generation,
      ...(Item.expiresAt !== undefined ? { expiresAt: Item.expiresAt } : {}),
    };
  }

  async putCredential(secretHash: string, credential: Credential): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          ...credentialKey(secretHash),
          ...credential,
          // Keep expired tokens a day so a late caller still gets `expired_token`, not `invalid_token`.
          ...(credential.expiresAt !== undefined ? { ttl: credential.expiresAt + 86400 } : {}),
        },
      }),
    );
  }

  async deleteCredential(secretHash: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: credentialKey(secretHash) }));
  }

  /**
   * Uninstall only (an operator's command, rare): a Scan of the registry for the
   * installation's credentials, then deletes. Credentials are keyed by their hash for the hot
   * path (authentication), so an index by installation would cost a write on every token
   * minted; a scan costs about 0.5 RRU per 4 KB of registry, once per uninstall.
   */
  async deleteCredentialsOf(memberId: string, clientId: string): Promise<number> {
    const keys: { pk: string; sk: string }[] = [];
    const pages = paginateScan(
      { client: this.db },
      {
        TableName: this.table,
        FilterExpression: 'begins_with(pk, :cred) AND memberId = :m AND clientId = :c',
        ExpressionAttributeValues: { ':cred': CRED, ':m': memberId, ':c': clientId },
        ProjectionExpression: 'pk, sk',
      },
    );
    for await (const page of pages) keys.push(...((page.Items ?? []) as { pk: string; sk: string }[]));
    for (let i = 0; i < keys.length; i += 16) await Promise.all(keys.slice(i, i + 16).map((Key) => this.db.send(new DeleteCommand({ TableName: this.table, Key }))));
    return keys.length;
  }
}

const { portal: PORTAL, application: APP, credential: CRED } = KEY_PREFIXES.registry;
const portalKey = (memberId: string) => ({ pk: `${PORTAL}${memberId}`, sk: 'PORTAL' });
const installationKey = (memberId: string, clientId: string) => ({ pk: `${PORTAL}${memberId}`, sk: `INSTALL#${clientId}` });
const credentialKey = (secretHash: string) => ({ pk: `${CRED}${secretHash}`, sk: 'CRED' });

// A set cannot hold an empty string, and "no connector" is one: every member gets a prefix.
const encodeConnector = (connector: string) => `c:${connector}`;
const decodeConnector = (stored: string) => stored.slice(2);

function installationFromItem(item: Record<string, unknown>): Installation {
  const connectors = item.connectors instanceof Set ? [...(item.connectors as Set<string>)].map(decodeConnector) : [];
  return {
    memberId: item.memberId as string,
    clientId: item.clientId as string,
    domain: item.domain as string,
    applicationToken: item.applicationToken as string,
    scopes: (item.scopes as string[]) ?? [],
    status: item.status as Installation['status'],
    handlerHosts: (item.handlerHosts as string[]) ?? [],
    installerUserId: item.installerUserId as number,
    generation: item.generation as string,
    connectors: connectors.sort(),
    webhooks: (item.webhooks as Record<string, string>) ?? {},
    admins: (item.admins as number[] | undefined) ?? [],
    signingSecret: (item.signingSecret as string | undefined) ?? '',
    ...(item.kind === 'webhook' ? { kind: 'webhook' as const } : {}),
    ...(typeof item.installHandler === 'string' ? { installHandler: item.installHandler } : {}),
    installedAt: item.installedAt as number,
  };
}
