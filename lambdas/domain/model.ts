/**
 * The nouns of docs/rest-api.md and docs/journal.md, as plain data. Names follow the docs: portal, application,
 * installation, credential, binding, journal record, process, connector.
 */

/** Application status letters (docs/rest-api.md). */
export type AppStatus = 'L' | 'F' | 'D' | 'T' | 'P';

export interface Portal {
  memberId: string;
  domain: string;
}

/**
 * An application installed on a portal, or an operator's outgoing webhook (`kind: 'webhook'`:
 * no users, no credentials, only online bindings whose deliveries carry no tokens).
 */
export interface Installation {
  kind?: 'application' | 'webhook';
  memberId: string;
  clientId: string;
  domain: string;
  /** Sent with every delivery so handlers can check the sender; not a credential for this API. */
  applicationToken: string;
  scopes: string[];
  status: AppStatus;
  /** Host names handler URLs must belong to; empty = any public host. */
  handlerHosts: string[];
  /** The administrator who installed the application (docs/notifications.md falls back to this user). */
  installerUserId: number;
  /** Changes on every fresh install, so credentials of an uninstalled installation stop working. */
  generation: string;
  /** Connectors that ever had an offline binding: the journal queues to remove on uninstall. */
  connectors: string[];
  /** user id -> hash of that user's incoming-webhook secret (one per user; removed on uninstall). */
  webhooks: Record<string, string>;
  /** Users installed as administrators: tokens minted for a delivery keep the user's role. */
  admins: number[];
  /** Standard Webhooks key (`whsec_…`) that signs every delivery of this application. */
  signingSecret: string;
  /** Where ONAPPINSTALL goes (admin CLI `--install-handler`). */
  installHandler?: string;
  installedAt: number;
}

/** `operator`, `console-link` and `console-session` are the web console's (usecases/console.ts); REST authentication refuses them. */
export type CredentialKind = 'access' | 'refresh' | 'webhook' | 'operator' | 'console-link' | 'console-session';

/** What a token or webhook secret grants, as stored (under the hash of the secret). */
export interface Credential {
  kind: CredentialKind;
  memberId: string;
  clientId: string;
  userId: number;
  admin: boolean;
  generation: string;
  /** Unix seconds; absent for webhook secrets, which do not expire. */
  expiresAt?: number;
}

/** The caller of a REST method, resolved from its credential. Every query is scoped by it. */
export interface Caller {
  memberId: string;
  clientId: string;
  userId: number;
  admin: boolean;
  installation: Installation;
  credentialKind: CredentialKind;
}

export interface Binding {
  memberId: string;
  clientId: string;
  /** Numeric id, unique per portal, growing; sent as `event_handler_id`. */
  id: number;
  event: string;
  offline: boolean;
  /** Empty for offline bindings. */
  handler: string;
  /** The `auth_type` user; 0 = the user who caused the event (or none, for offline bindings). */
  userId: number;
  /** The `auth_connector`; empty when none. */
  connector: string;
  options: BindingOptions;
  createdAt: number;
}

export interface BindingOptions {
  /** ONOFFLINEEVENT only: seconds between notifications. */
  minTimeout?: number;
  /** Body of this binding's deliveries, when it differs from the deployment's (`options[format]`). */
  format?: 'form' | 'json';
  /** Online bindings: `offline` journals a delivery that finally failed into the application's queue (`options[fallback]`, docs/delivery.md). */
  fallback?: 'offline';
}

/** A journal record of an offline queue (docs/journal.md). */
export interface JournalRecord {
  id: number;
  /** Unix milliseconds of the last write. */
  timestamp: number;
  eventName: string;
  eventData: unknown;
  eventAdditional: Record<string, unknown>;
  messageId: string;
  /** Empty while pending. */
  processId: string;
  error: boolean;
  /** The store's count of writes to a pending record (a claim checks that it is unchanged). */
  version?: number;
}

/** A journal queue is (portal, application, connector). */
export interface QueueKey {
  memberId: string;
  clientId: string;
  connector: string;
}
