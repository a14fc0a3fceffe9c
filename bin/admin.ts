import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { bindingStore, deliveryLog, deliveryQueue, dynamoClient, eventCatalog, journalStore, registryStore, tokenSettings } from '../lambdas/composition';
import { parseConfig, type Config } from '../lambdas/config';
import { CLIENT_ID, MEMBER_ID } from '../lambdas/domain/credentials';
import { BitrixError } from '../lambdas/domain/errors';
import { parseHistoryFilter } from '../lambdas/domain/delivery-history';
import type { AppStatus, Caller } from '../lambdas/domain/model';
import type { DeliveryAttempt, DeliveryLog } from '../lambdas/domain/ports';
import { install, listInstallations, uninstall, type InstallationDeps } from '../lambdas/usecases/installations';
import type { EventCatalog } from '../lambdas/domain/catalog';
import { resendDeliveries } from '../lambdas/usecases/delivery-history';
import { addWebhook, listWebhooks, removeWebhook } from '../lambdas/usecases/webhooks';
import { createApplicationLink, createOperatorCredential, revokeOperatorCredential } from '../lambdas/usecases/console';

/** CONSOLE_LINK_SECONDS as the functions read it (the environment's, or the default). */
function parseConfigDefaults(): { CONSOLE_LINK_SECONDS: number } {
  const raw = process.env.CONSOLE_LINK_SECONDS;
  return { CONSOLE_LINK_SECONDS: raw ? Number(raw) : 24 * 3600 };
}
import { chooseEngine, engineDataDir, ensureTables, freePort, startDynamo, type DynamoLocal } from '../local/dynamodb';
import { claimDataDir, LOCAL_TABLES, liveRuntime } from '../local/stack';

const USAGE = `Usage: npm run -s admin -- <command> [options]      (help: -h, --help or help)

Commands:
  install    --member-id <32 hex> --domain <host> --client-id <id> --user-id <n>
             [--admin] [--scope crm,task,user] [--handler-host <host>]... [--status L|F|D|T|P]
             [--client-secret <secret>] [--install-handler <url>] [--change-domain]
             Installs the application on the portal (both created on first use) and prints
             the user's credentials as JSON. With an install handler (kept for later installs),
             ONAPPINSTALL is sent to it. A known portal keeps its domain: another --domain is
             refused unless --change-domain is given.
  uninstall  --member-id <32 hex> --client-id <id>
             Sends ONAPPUNINSTALL to the application's ONAPPUNINSTALL handlers, then removes the
             installation, its bindings, journal queues and every credential.
  list       [--member-id <32 hex>]
             Lists installations (portal, domain, application, users, connectors).
  webhook add --member-id <32 hex> --event <EVENT>... --handler <url>
  webhook list [--member-id <32 hex>]
  webhook remove --member-id <32 hex> --webhook-id <webhook.…>
             Outgoing webhooks: a URL subscribed to a portal's events without an application;
             deliveries carry no tokens (docs/delivery.md, "Outgoing webhooks").
  deliveries --member-id <32 hex> --client-id <id> [--limit <n>]
             [--status delivered|deferred|failed|fallback|dropped]... [--event <EVENT>]
             [--handler <url>] [--since <ISO date>] [--before <ISO date>]
             The application's latest online delivery attempts, newest first (status,
             latency, error), kept for ATTEMPT_RETENTION_DAYS (as event.delivery.list).
  resend     --member-id <32 hex> --client-id <id> (--id <msg_…>... | the filters of deliveries)
             Queues those deliveries again with their original payload and webhook-id (as
             event.delivery.resend, for any application) and prints {"count": n}.
  enable     --member-id <32 hex> --client-id <id> --handler <url>
             Switches a switched-off handler back on for the application (as event.delivery.enable).
  console operator [--revoke <credential>]
             Creates an operator credential for the web console (printed once, stored hashed),
             or revokes one (docs/console.md).
  console link --member-id <32 hex> --client-id <id> [--ttl <seconds>]
             Prints a short-lived link (default CONSOLE_LINK_SECONDS, 1 day) that opens the
             console limited to that application on that portal.
  help       This text.

<32 hex>: a portal's member_id, 32 lower-case hex characters (0-9, a-f).

Target (default: the local stack of DATA_DIR, ./.local): the CLI uses the stack \`npm start\` runs
on the same DATA_DIR; give the CLI the DATA_DIR you gave \`npm start\`. When none runs there, it
starts DynamoDB Local on that directory for the command and says so on stderr.
  --registry-table, --bindings-table, --journal-table  deployed table names (stack outputs);
                                                       or TABLE_REGISTRY, TABLE_BINDINGS, TABLE_JOURNAL
  --deliveries-table                                   for deliveries; or TABLE_DELIVERIES
  --delivery-queue-url                                 for lifecycle events; or DELIVERY_QUEUE_URL
  --region <aws region>                                or AWS_REGION
  --public-url <https://…>                             the deployed API URL, or PUBLIC_URL
`;

/** The deliveries table of a deployed stack when none was named: `deliveries` refuses to run with it. */
const NO_DELIVERIES_TABLE = '-';

interface Target {
  deps: InstallationDeps & { deliveryLog: DeliveryLog; catalog: EventCatalog; deliveriesTable: string; retentionMs: number };
  close(): Promise<void>;
}

/**
 * The configuration the functions would have for this target (lambdas/config.ts: the same
 * defaults), and the ports built from it with the functions' own factories
 * (lambdas/composition.ts).
 */
function targetPorts(env: NodeJS.ProcessEnv, queueKnown: boolean): { deps: Target['deps']; cfg: Config } {
  // An empty variable is an unset one (as in a shell's `VAR= command`).
  const cfg = parseConfig(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')));
  return {
    cfg,
    deps: {
      registry: registryStore(cfg),
      bindings: bindingStore(cfg),
      journal: journalStore(cfg),
      deliveryLog: deliveryLog(cfg),
      deliveriesTable: cfg.TABLE_DELIVERIES,
      retentionMs: cfg.ATTEMPT_RETENTION_DAYS * 86_400_000,
      catalog: eventCatalog(cfg),
      ...tokenSettings(cfg),
      ...(queueKnown ? { deliveries: deliveryQueue(cfg) } : {}),
    },
  };
}

async function openTarget(flags: Record<string, string | boolean | string[] | undefined>): Promise<Target> {
  const str = (name: string, env: string) => (flags[name] as string | undefined) ?? process.env[env];
  const registryTable = str('registry-table', 'TABLE_REGISTRY');

  if (registryTable && !process.env.DYNAMODB_ENDPOINT) {
    // A deployed stack: its table names and URLs are the stack's outputs.
    const queueUrl = str('delivery-queue-url', 'DELIVERY_QUEUE_URL');
    const { deps, cfg } = targetPorts(
      {
        ...process.env,
        TABLE_REGISTRY: registryTable,
        TABLE_BINDINGS: str('bindings-table', 'TABLE_BINDINGS') ?? fail('--bindings-table (or TABLE_BINDINGS) is required with --registry-table'),
        TABLE_JOURNAL: str('journal-table', 'TABLE_JOURNAL') ?? fail('--journal-table (or TABLE_JOURNAL) is required with --registry-table'),
        // Only `deliveries` reads this table; the other commands run without it.
        TABLE_DELIVERIES: str('deliveries-table', 'TABLE_DELIVERIES') ?? NO_DELIVERIES_TABLE,
        PUBLIC_URL: str('public-url', 'PUBLIC_URL') ?? fail('--public-url (or PUBLIC_URL) is required for a deployed stack'),
        AWS_REGION: str('region', 'AWS_REGION') ?? 'us-east-1',
        ...(queueUrl ? { DELIVERY_QUEUE_URL: queueUrl, DELIVERY_DLQ_URL: queueUrl } : {}),
      },
      queueUrl !== undefined,
    );
    return { deps, close: async () => dynamoClient(cfg).destroy() };
  }

  // The local stack of DATA_DIR: the running one, or its DynamoDB engine started for this command.
  const dataDir = resolve(process.env.DATA_DIR ?? './.local');
  const running = liveRuntime(dataDir);
  let dynamo: DynamoLocal | undefined;
  let endpoint = running?.dynamodb_endpoint;
  if (!endpoint) {
    // Said on stderr, so that a DATA_DIR other than the running stack's is not a silent trap.
    process.stderr.write(
      `No running stack uses DATA_DIR ${dataDir}: starting DynamoDB Local on it for this command. ` +
        'If `npm start` runs with another DATA_DIR, give the CLI the same one (DATA_DIR=… npm run -s admin -- …).\n',
    );
    claimDataDir(dataDir);
    const { engine } = chooseEngine();
    dynamo = await startDynamo({ engine, port: await freePort(), path: engineDataDir(dataDir, engine) });
    endpoint = dynamo.endpoint;
    await ensureTables(endpoint, LOCAL_TABLES);
  }
  const publicUrl =
    (flags['public-url'] as string | undefined) ?? running?.public_url ?? process.env.PUBLIC_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`;
  // The running stack's delivery queue (in its process): lifecycle events need it.
  const queue = running?.delivery_queue_url;
  const { deps, cfg } = targetPorts(
    {
      ...process.env,
      TABLE_REGISTRY: LOCAL_TABLES.registry,
      TABLE_BINDINGS: LOCAL_TABLES.bindings,
      TABLE_JOURNAL: LOCAL_TABLES.journal,
      TABLE_DELIVERIES: LOCAL_TABLES.deliveries,
      DYNAMODB_ENDPOINT: endpoint,
      AWS_REGION: 'us-east-1',
      PUBLIC_URL: publicUrl,
      ...(queue ? { DELIVERY_QUEUE_URL: queue, DELIVERY_DLQ_URL: queue, ...(running?.sqs_endpoint ? { SQS_ENDPOINT: running.sqs_endpoint } : {}) } : {}),
    },
    queue !== undefined,
  );
  return {
    deps,
    close: async () => {
      dynamoClient(cfg).destroy();
      await dynamo?.stop();
    },
  };
}

function fail(message: string): never {
  throw new UsageError(message);
}

class UsageError extends Error {}

/** The command named something that does not exist: exit 1 with the message, no usage text. */
class NotFound extends Error {}

/** What each checked flag must look like, said in the error. */
const FORMATS: Record<string, string> = {
  'member-id': '32 lower-case hex characters (0-9, a-f)',
  'client-id': 'letters, digits, ".", "_" or "-", at most 100',
  'user-id': 'a positive integer',
  domain: 'a host name such as portal.example.com',
  'webhook-id': 'webhook. and 12 hex characters, as `webhook list` prints it',
};

function wrongFormat(name: string, value: string): never {
  const hint = name === 'member-id' && /^[0-9a-fA-F]{32}$/.test(value) ? `; write it in lower case: ${value.toLowerCase()}` : '';
  fail(`--${name} has a wrong format: ${value} (expected ${FORMATS[name] ?? 'another value'}${hint})`);
}

function required(flags: Record<string, unknown>, name: string, pattern?: RegExp): string {
  const value = flags[name];
  if (typeof value !== 'string' || value === '') fail(`--${name} is required`);
  if (pattern && !pattern.test(value)) wrongFormat(name, value);
  return value;
}

function optionalMemberId(value: string | undefined): string | undefined {
  if (value !== undefined && !MEMBER_ID.test(value)) wrongFormat('member-id', value);
  return value;
}

const OPTIONS = {
  'member-id': { type: 'string' },
  domain: { type: 'string' },
  'client-id': { type: 'string' },
  'user-id': { type: 'string' },
  admin: { type: 'boolean', default: false },
  scope: { type: 'string' },
  'handler-host': { type: 'string', multiple: true },
  status: { type: 'string' },
  'client-secret': { type: 'string' },
  'change-domain': { type: 'boolean', default: false },
  'registry-table': { type: 'string' },
  'bindings-table': { type: 'string' },
  'journal-table': { type: 'string' },
  'deliveries-table': { type: 'string' },
  'delivery-queue-url': { type: 'string' },
  'install-handler': { type: 'string' },
  event: { type: 'string', multiple: true },
  handler: { type: 'string' },
  'webhook-id': { type: 'string' },
  limit: { type: 'string' },
  id: { type: 'string', multiple: true },
  since: { type: 'string' },
  before: { type: 'string' },
  outcome: { type: 'string', multiple: true },
  revoke: { type: 'string' },
  ttl: { type: 'string' },
  region: { type: 'string' },
  'public-url': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** util.parseArgs, with its messages (written for programmers) turned into a usage error. */
function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    const option = /'(-{1,2}[^'\s]+)/.exec(error instanceof Error ? error.message : '')?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') fail(`unknown option ${option ?? ''}`.trim());
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') fail(`${option ?? 'an option'} needs a value (write the value after it, e.g. --member-id 0123…)`);
    fail(error instanceof Error ? error.message : String(error));
  }
}

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseCommandLine(argv);
  const command = positionals[0];
  if (values.help || !command || command === 'help') {
    process.stdout.write(USAGE);
    return;
  }

  // Check the arguments before touching any storage.
  let run: (deps: Target['deps']) => Promise<unknown>;
  if (command === 'install') {
    const memberId = required(values, 'member-id', MEMBER_ID);
    const domain = required(values, 'domain', /^[a-z0-9.-]+(:\d+)?$/i);
    const clientId = required(values, 'client-id', CLIENT_ID);
    const userId = Number(required(values, 'user-id', /^[1-9]\d{0,9}$/));
    const status = values.status;
    if (status !== undefined && !/^[LFDTP]$/.test(status)) fail('--status must be one of L, F, D, T, P');
    const scopes = values.scope?.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
    run = async (deps) => {
      const installed = await install(
        deps,
        {
          memberId,
          domain,
          clientId,
          userId,
          admin: values.admin ?? false,
          ...(scopes ? { scopes } : {}),
          ...(values['handler-host'] ? { handlerHosts: values['handler-host'].map((h) => h.toLowerCase()) } : {}),
          ...(status ? { status: status as AppStatus } : {}),
          ...(values['client-secret'] ? { clientSecret: values['client-secret'] } : {}),
          ...(values['install-handler'] ? { installHandler: values['install-handler'] } : {}),
          ...(values['change-domain'] ? { changeDomain: true } : {}),
        },
        Date.now(),
      );
      // ONAPPINSTALL needs the delivery queue: say how to give it.
      if (typeof installed.install_event === 'string' && installed.install_event.startsWith('not sent')) installed.install_event += ' (start the stack, or give --delivery-queue-url)';
      return installed;
    };
  } else if (command === 'uninstall') {
    const memberId = required(values, 'member-id', MEMBER_ID);
    const clientId = required(values, 'client-id', CLIENT_ID);
    run = (deps) => uninstall(deps, memberId, clientId);
  } else if (command === 'list') {
    const memberId = optionalMemberId(values['member-id']);
    run = (deps) => listInstallations(deps, memberId);
  } else if (command === 'webhook') {
    const action = positionals[1];
    if (action === 'add') {
      const memberId = required(values, 'member-id', MEMBER_ID);
      const handler = required(values, 'handler');
      const events = values.event ?? [];
      if (events.length === 0) fail('--event is required (once per event)');
      run = (deps) => addWebhook(deps, { memberId, events, handler }, Date.now());
    } else if (action === 'list') {
      const memberId = optionalMemberId(values['member-id']);
      run = (deps) => listWebhooks(deps, memberId);
    } else if (action === 'remove') {
      const memberId = required(values, 'member-id', MEMBER_ID);
      const webhookId = required(values, 'webhook-id', /^webhook\.[0-9a-f]{12}$/);
      run = (deps) => removeWebhook(deps, memberId, webhookId);
    } else {
      fail(`webhook needs add, list or remove${action ? `, not ${action}` : ''}`);
    }
  } else if (command === 'deliveries' || command === 'resend' || command === 'enable') {
    const memberId = required(values, 'member-id', MEMBER_ID);
    const clientId = required(values, 'client-id', CLIENT_ID);
    const limit = Number(values.limit ?? 20);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) fail('--limit must be an integer from 1 to 1000');
    // The filters of event.delivery.list, checked by the same code (a wrong one is refused before any read).
    const statuses = [...(values.outcome ?? []), ...(values.status !== undefined ? [values.status] : [])];
    const asked = Object.fromEntries(
      Object.entries({ STATUS: statuses.length > 0 ? statuses : undefined, EVENT_NAME: values.event?.[0], HANDLER: command === 'enable' ? undefined : values.handler, '>=DATE_CREATE': values.since, '<DATE_CREATE': values.before }).filter(([, v]) => v !== undefined),
    );
    const filter = parseHistoryFilter(asked);
    if (command === 'enable' && !values.handler) fail('--handler is required');
    if (command === 'resend' && (values.id?.length ?? 0) === 0 && Object.keys(filter).length === 0) fail('resend needs --id or at least one filter (--status, --since, …)');
    run = async (deps) => {
      if (deps.deliveriesTable === NO_DELIVERIES_TABLE) fail('--deliveries-table (or TABLE_DELIVERIES) is required for a deployed stack');
      // An empty list must mean "no attempts", not "wrong portal or application".
      if (!(await deps.registry.getPortal(memberId))) throw new NotFound(`Portal ${memberId} is not installed here (npm run -s admin -- list shows the installations)`);
      const installation = await deps.registry.getInstallation(memberId, clientId);
      if (!installation) {
        throw new NotFound(`Application ${clientId} is not installed on portal ${memberId} (npm run -s admin -- list --member-id ${memberId} shows its applications)`);
      }
      if (command === 'enable') return { enabled: true, was_off: await deps.deliveryLog.switchOn(values.handler!, memberId, clientId, Date.now()) };
      if (command === 'resend') {
        if (!deps.deliveries) fail('--delivery-queue-url (or DELIVERY_QUEUE_URL) is required to resend');
        // The operator acts as the application's administrator: every delivery of the application.
        const operator: Caller = { memberId, clientId, userId: 0, admin: true, installation, credentialKind: 'webhook' };
        const request = values.id?.length ? { ids: values.id } : { filter: asked };
        return resendDeliveries({ log: deps.deliveryLog, bindings: deps.bindings, queue: deps.deliveries, retentionMs: deps.retentionMs }, operator, request, Date.now());
      }
      return (await deps.deliveryLog.listAttempts(memberId, clientId, limit, filter)).map((a: DeliveryAttempt) => ({ ...a, at: new Date(a.at).toISOString() }));
    };
  } else if (command === 'console') {
    const action = positionals[1];
    if (action === 'operator') {
      const revoke = values.revoke;
      run = async (deps) => {
        if (revoke === undefined) return { credential: await createOperatorCredential(deps.registry), sign_in: `${deps.publicUrl}/console/` };
        if (!(await revokeOperatorCredential(deps.registry, revoke))) throw new NotFound('No such operator credential');
        return { revoked: true };
      };
    } else if (action === 'link') {
      const memberId = required(values, 'member-id', MEMBER_ID);
      const clientId = required(values, 'client-id', CLIENT_ID);
      const ttl = Number(values.ttl ?? parseConfigDefaults().CONSOLE_LINK_SECONDS);
      if (!Number.isInteger(ttl) || ttl < 60 || ttl > 30 * 24 * 3600) fail('--ttl must be an integer number of seconds from 60 to 2592000');
      run = async (deps) => {
        const link = await createApplicationLink(deps.registry, memberId, clientId, ttl, Date.now());
        return { link: `${deps.publicUrl}/console/link?token=${link.token}`, expires_at: new Date(link.expiresAt * 1000).toISOString() };
      };
    } else {
      fail(`console needs operator or link${action ? `, not ${action}` : ''}`);
    }
  } else {
    fail(`unknown command ${command} (commands: install, uninstall, list, webhook, deliveries, resend, enable, console, help)`);
  }

  const target = await openTarget(values);
  try {
    process.stdout.write(`${JSON.stringify(await run(target.deps), null, 2)}\n`);
  } finally {
    await target.close();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) process.stderr.write(`${error.message}\n\nRun \`npm run -s admin -- help\` for every command and option.\n`);
  else if (error instanceof BitrixError) process.stderr.write(`${error.description}\n`);
  else process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(error instanceof UsageError ? 2 : 1);
});
