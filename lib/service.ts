import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { CfnStage, CorsHttpMethod, HttpApi, HttpMethod, HttpStage, LogGroupLogDestination, type HttpRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { handlerEntry, restFallbackEntry, restFunctionEntries } from './entries';
import { CORS_HEADERS } from '../lambdas/wire/response';
import { Front, type FrontSettings } from './front';
import { DELIVERIES_ITEMS, grantItems, REGISTRY_ITEMS, type Access } from './grants';
import { ServiceFunction } from './service-function';
import { DELIVERY_FUNCTION_TIMEOUT_SECONDS, type Storage, type TableName } from './storage';

/**
 * One invoke permission per function for this API, not one per route: a REST method has eight
 * routes (two paths, with and without the webhook prefix and `.json`, GET and POST), and a
 * permission per route took the stack past CloudFormation's 500 resources (docs/decisions.md).
 * API Gateway still calls a function only through the routes integrated with it.
 */
const API_SCOPED = { scopePermissionToRoute: false } as const;

/** API Gateway throttling of one group of routes: steady requests per second and burst. */
export interface Throttle {
  rate: number;
  burst: number;
}

/**
 * The API's own throttling (before any Lambda runs), per group of routes. The account's
 * regional quota (10,000 per second, burst 5,000, shared by every API of the account) stays
 * far above these, so one stage cannot starve another. `rest` is the stage default.
 */
export const DEFAULT_THROTTLE: Readonly<Record<'rest' | 'producer' | 'oauth', Throttle>> = {
  rest: { rate: 500, burst: 1000 },
  // One request carries up to 100 events: 100 requests per second is 10,000 events per second.
  producer: { rate: 100, burst: 200 },
  // Token refreshes: an SDK refreshes once an hour per user.
  oauth: { rate: 50, burst: 100 },
};

/** Publish's Lambda timeout, well under the HTTP API's 30 s integration limit (docs/operations.md). */
export const PUBLISH_TIMEOUT_SECONDS = 15;

/** The delivery worker's default ceiling: 20 instances of 10 deliveries (docs/operations.md). */
export const DEFAULT_DELIVERY_MAX_CONCURRENCY = 20;

/** Deployment settings (CDK context, lib/context.ts). */
export interface ServiceSettings {
  stage: string;
  /**
   * A stage marked for development (`-c development=true`): the only kind where the address
   * guard may be switched off (`handlerAllowPrivate`).
   */
  development?: boolean;
  /** Seconds a claimed journal record lives (docs/journal.md). */
  claimLifetimeSeconds?: number;
  /** Offline queues' retention, size limit and trim interval (docs/journal.md, "Retention and queue size"); lambdas/config.ts defaults when unset. */
  journalRetentionDays?: number;
  journalQueueMaxRecords?: number;
  journalTrimIntervalSeconds?: number;
  /** Delivery attempts after the first (0 = no retry, as Bitrix24). */
  deliveryRetries?: number;
  /** Seconds a handler may fail every delivery before it is switched off for the application (default 24 h, docs/delivery.md). */
  deliverySwitchOffSeconds?: number;
  /**
   * Delivery worker instances at most (the SQS event source's maximum concurrency, 2–1000;
   * DEFAULT_DELIVERY_MAX_CONCURRENCY when unset): the rest of the account's Lambda concurrency
   * stays with publish and the REST functions (docs/operations.md, "Tenant isolation").
   */
  deliveryMaxConcurrency?: number;
  /** Reserved concurrency kept for publish; none when unset. */
  publishReservedConcurrency?: number;
  /** Reserved concurrency kept for each REST method function and the REST fallback; none when unset. */
  restReservedConcurrency?: number;
  /** Deliver to private addresses too: development stages only (refused at synth otherwise). */
  handlerAllowPrivate?: boolean;
  /** Functions start with `--enable-source-maps` (slower cold starts); off by default. */
  sourceMaps?: boolean;
  /** Each application's leaky bucket (docs/limits.md); Bitrix24's 2 per second and 50 when unset. */
  rateLimitPerSecond?: number;
  rateLimitBurst?: number;
  /** API Gateway throttling per route group; DEFAULT_THROTTLE where unset. */
  throttle?: Partial<Record<keyof typeof DEFAULT_THROTTLE, Throttle>>;
  /** CloudFront + WAF (+ custom domain) in front of the API; none when unset. */
  front?: Omit<FrontSettings, 'maxBodyBytes'>;
}

export interface ServiceProps extends ServiceSettings {
  /** The stateful part this service reads and writes. */
  storage: Storage;
}

/**
 * Refuses, at synth time, settings no deployed stage should run with: the address guard
 * (docs/delivery.md) off outside a stage marked for development.
 */
export function checkSettings(settings: ServiceSettings): void {
  if (settings.handlerAllowPrivate && !settings.development) {
    throw new Error(
      `Stage "${settings.stage}": handlerAllowPrivate switches off the address guard (deliveries to private, loopback and metadata addresses); it is allowed only on a stage marked for development (-c development=true)`,
    );
  }
}

/** The API's request body limit (docs/limits.md), as the functions apply it (config MAX_BODY_BYTES default). */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * API access logs, one JSON object per request: request id, route, status, latencies and the
 * integration's error. Never the path or query string (webhook secrets and tokens travel there):
 * the route key names the route with its placeholders.
 */
export const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  time: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  method: '$context.httpMethod',
  route: '$context.routeKey',
  status: '$context.status',
  responseLength: '$context.responseLength',
  latencyMs: '$context.responseLatency',
  integrationLatencyMs: '$context.integrationLatency',
  integrationStatus: '$context.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
  error: '$context.error.message',
  userAgent: '$context.identity.userAgent',
} as const;

/**
 * A REST function's registry grant: 'read' = authenticate (credentials and installations
 * only, never application secrets or ID slots); 'write' adds recording a connector on the
 * installation. Callable per function, whatever decides the level.
 */
export function grantRestRegistry(storage: Storage, fn: ServiceFunction, level: Access): void {
  grantItems(storage.tables.registry, fn, REGISTRY_ITEMS.authenticate);
  if (level === 'write') grantItems(storage.tables.registry, fn, REGISTRY_ITEMS.addConnector);
}

/**
 * The stateless part: the HTTP API, one Lambda per REST method plus publish, delivery,
 * OAuth, notifier and the REST fallback, the schedule group and the scheduler's role. It can
 * be replaced at will; the data lives in `Storage`, passed in as props.
 */
export class Service extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly functions: ServiceFunction[] = [];
  readonly deliver: ServiceFunction;
  readonly publish: ServiceFunction;
  readonly notifier: ServiceFunction;
  readonly scheduleGroup: ScheduleGroup;
  readonly accessLogs: LogGroup;
  readonly front?: Front;
  /** The base URL handed to applications (PUBLIC_URL). */
  readonly publicUrl: string;

  constructor(scope: Construct, id: string, props: ServiceProps) {
    super(scope, id);
    checkSettings(props);
    const { storage } = props;
    const { tables } = storage;
    const stack = Stack.of(this);
    const list = (value: string) => value.split(',').map((v) => v.trim());
    this.api = new HttpApi(this, 'Api', {
      description: `b24-event-hub (${props.stage})`,
      createDefaultStage: false,
      // Preflights are answered by API Gateway itself, with the headers the functions send (docs/rest-api.md).
      corsPreflight: {
        allowOrigins: [CORS_HEADERS['access-control-allow-origin']],
        allowMethods: list(CORS_HEADERS['access-control-allow-methods']) as CorsHttpMethod[],
        allowHeaders: list(CORS_HEADERS['access-control-allow-headers']),
        maxAge: Duration.days(1),
      },
    });
    const api = this.api;
    const throttle = { ...DEFAULT_THROTTLE, ...props.throttle };
    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.TWO_WEEKS });
    // The default stage: JSON access logs, and throttling before any function runs.
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: throttle.rest.rate, burstLimit: throttle.rest.burst },
      accessLogSettings: { destination: new LogGroupLogDestination(this.accessLogs), format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)) },
    });
    if (props.front) this.front = new Front(this, 'Front', { ...props.front, api, stage: props.stage, maxBodyBytes: MAX_BODY_BYTES });
    this.publicUrl = this.front?.publicUrl ?? api.apiEndpoint;
    const environment = {
      TABLE_REGISTRY: tables.registry.tableName,
      TABLE_BINDINGS: tables.bindings.tableName,
      TABLE_JOURNAL: tables.journal.tableName,
      TABLE_DELIVERIES: tables.deliveries.tableName,
      DELIVERY_QUEUE_URL: storage.deliveryQueue.queueUrl,
      DELIVERY_DLQ_URL: storage.deadLetterQueue.queueUrl,
      DELIVERY_RETRIES: String(props.deliveryRetries ?? 0),
      ...(props.deliverySwitchOffSeconds !== undefined ? { DELIVERY_SWITCH_OFF_SECONDS: String(props.deliverySwitchOffSeconds) } : {}),
      HANDLER_ALLOW_PRIVATE: props.handlerAllowPrivate ? '1' : '0',
      PUBLIC_URL: this.publicUrl,
      SCHEDULER: 'eventbridge',
      PRODUCER_AUTH: 'iam',
      CLAIM_LIFETIME_SECONDS: String(props.claimLifetimeSeconds ?? 24 * 3600),
      // Each stage's metrics and log lines apart (lambdas/wire/metrics.ts, logger.ts).
      POWERTOOLS_METRICS_NAMESPACE: metricNamespace(props.stage),
      POWERTOOLS_SERVICE_NAME: serviceName(props.stage),
      ...(props.rateLimitPerSecond !== undefined ? { RATE_LIMIT_PER_SECOND: String(props.rateLimitPerSecond) } : {}),
      ...(props.rateLimitBurst !== undefined ? { RATE_LIMIT_BURST: String(props.rateLimitBurst) } : {}),
      ...(props.journalRetentionDays !== undefined ? { JOURNAL_RETENTION_DAYS: String(props.journalRetentionDays) } : {}),
      ...(props.journalQueueMaxRecords !== undefined ? { JOURNAL_QUEUE_MAX_RECORDS: String(props.journalQueueMaxRecords) } : {}),
      ...(props.journalTrimIntervalSeconds !== undefined ? { JOURNAL_TRIM_INTERVAL_SECONDS: String(props.journalTrimIntervalSeconds) } : {}),
    };
    const fn = (name: string, entry: string, extra: Partial<ConstructorParameters<typeof ServiceFunction>[2]> = {}) => {
      const created = new ServiceFunction(this, name, { entry, environment, ...(props.sourceMaps ? { sourceMaps: true } : {}), ...extra });
      this.functions.push(created);
      return created;
    };
    // Routes throttled apart from the stage default: route key → group, and the routes themselves.
    const routeGroups = new Map<string, keyof typeof DEFAULT_THROTTLE>();
    const throttledRoutes: HttpRoute[] = [];
    const routes = (group: keyof typeof DEFAULT_THROTTLE, path: string, methods: HttpMethod[], created: HttpRoute[]) => {
      for (const method of methods) routeGroups.set(`${method} ${path}`, group);
      throttledRoutes.push(...created);
    };

    // Capacity kept for the API (docs/operations.md, "Tenant isolation"): the delivery worker is
    // capped below; reservations here are optional (each one leaves the account's unreserved pool).
    const restReserved = props.restReservedConcurrency !== undefined ? { reservedConcurrentExecutions: props.restReservedConcurrency } : {};
    // One function per REST method, granted what its descriptor needs (lambdas/methods/).
    for (const { name: entry, file, method: { name: method }, needs } of restFunctionEntries()) {
      const restFn = fn(`Rest-${entry}`, file, restReserved);
      // Every call authenticates against the registry before its method runs.
      grantRestRegistry(storage, restFn, needs.tables.registry ?? 'read');
      for (const [table, level] of Object.entries(needs.tables) as [TableName, Access][]) {
        if (table !== 'registry') grantItems(tables[table], restFn, { access: level });
      }
      if (needs.deliveryQueue) storage.deliveryQueue.grantSendMessages(restFn);
      // Every call takes from its application's rate-limit bucket (a conditional UpdateItem).
      grantItems(tables.deliveries, restFn, DELIVERIES_ITEMS.rateLimit);
      const integration = new HttpLambdaIntegration(`Rest-${entry}-Integration`, restFn, API_SCOPED);
      for (const path of [`/rest/${method}`, `/rest/${method}.json`, `/rest/{userId}/{secret}/${method}`, `/rest/{userId}/{secret}/${method}.json`]) {
        api.addRoutes({ path, methods: [HttpMethod.GET, HttpMethod.POST], integration });
      }
    }
    // Other spellings and a trailing "/" (docs/rest-api.md): a 308 to the canonical route.
    const fallback = fn('RestFallback', restFallbackEntry().file, { memorySize: 128, ...restReserved });
    const fallbackIntegration = new HttpLambdaIntegration('RestFallbackIntegration', fallback, API_SCOPED);
    api.addRoutes({ path: '/rest/{proxy+}', methods: [HttpMethod.ANY], integration: fallbackIntegration });
    api.addRoutes({ path: '/health', methods: [HttpMethod.GET], integration: fallbackIntegration }); // liveness, the same tiny function

    // ONOFFLINEEVENT (docs/notifications.md): the notifier sends trailing notifications; EventBridge Scheduler
    // invokes it (asynchronously) through a role that may invoke only it and park what it could
    // not deliver; publish creates the one-time schedules.
    const notifier = fn('Notify', handlerEntry('notify').file);
    this.notifier = notifier;
    grantItems(tables.registry, notifier, REGISTRY_ITEMS.installations);
    grantItems(tables.bindings, notifier, { access: 'read' });
    grantItems(tables.journal, notifier, { access: 'read' }); // is anything pending?
    grantItems(tables.deliveries, notifier, DELIVERIES_ITEMS.notificationThrottle);
    storage.deliveryQueue.grantSendMessages(notifier);
    // An invocation that still fails after Lambda's two retries is parked with its input.
    notifier.configureAsyncInvoke({ retryAttempts: 2, onFailure: new SqsDestination(storage.notificationDeadLetterQueue) });
    this.scheduleGroup = new ScheduleGroup(this, 'NotificationSchedules', { removalPolicy: RemovalPolicy.DESTROY });
    const schedulerRole = new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: 'EventBridge Scheduler: invokes the ONOFFLINEEVENT notifier and parks failed invocations, nothing else',
    });
    notifier.grantInvoke(schedulerRole);
    storage.notificationDeadLetterQueue.grantSendMessages(schedulerRole);

    const publish = fn('Publish', handlerEntry('publish').file, {
      ...(props.publishReservedConcurrency !== undefined ? { reservedConcurrentExecutions: props.publishReservedConcurrency } : {}),
      environment: {
        ...environment,
        SCHEDULE_GROUP: this.scheduleGroup.scheduleGroupName,
        NOTIFIER_ARN: notifier.functionArn,
        SCHEDULER_ROLE_ARN: schedulerRole.roleArn,
        SCHEDULER_DLQ_ARN: storage.notificationDeadLetterQueue.queueArn,
      },
      timeout: Duration.seconds(PUBLISH_TIMEOUT_SECONDS),
    });
    this.publish = publish;
    publish.addToRolePolicy(
      new PolicyStatement({
        actions: ['scheduler:CreateSchedule'],
        resources: [stack.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${this.scheduleGroup.scheduleGroupName}/*` })],
      }),
    );
    schedulerRole.grantPassRole(publish.grantPrincipal);
    grantItems(tables.registry, publish, REGISTRY_ITEMS.installations); // portals, installations
    grantItems(tables.registry, publish, REGISTRY_ITEMS.idSlots); // journal ID slots
    grantItems(tables.bindings, publish, { access: 'read' });
    grantItems(tables.journal, publish, { access: 'write' });
    grantItems(tables.deliveries, publish, DELIVERIES_ITEMS.notificationThrottle);
    grantItems(tables.deliveries, publish, DELIVERIES_ITEMS.publishLedger); // the idempotency window
    storage.deliveryQueue.grantSendMessages(publish);
    routes(
      'producer',
      '/producer/events',
      [HttpMethod.POST],
      api.addRoutes({
        path: '/producer/events',
        methods: [HttpMethod.POST],
        integration: new HttpLambdaIntegration('PublishIntegration', publish, API_SCOPED),
        authorizer: new HttpIamAuthorizer(),
      }),
    );

    // The delivery worker: SQS event source, batches of 10, partial batch failures. It calls
    // arbitrary URLs, so it reaches only installations (read), new token items (put) and the
    // bindings (read: a delivery to a binding that is gone is dropped).
    this.deliver = fn('Deliver', handlerEntry('deliver').file, {
      // Push → pull fallback (docs/delivery.md) journals and announces as publish does, trailing ONOFFLINEEVENT schedules included.
      environment: { ...environment, SCHEDULE_GROUP: this.scheduleGroup.scheduleGroupName, NOTIFIER_ARN: notifier.functionArn, SCHEDULER_ROLE_ARN: schedulerRole.roleArn, SCHEDULER_DLQ_ARN: storage.notificationDeadLetterQueue.queueArn },
      timeout: Duration.seconds(DELIVERY_FUNCTION_TIMEOUT_SECONDS),
    });
    grantItems(tables.registry, this.deliver, REGISTRY_ITEMS.installations);
    grantItems(tables.bindings, this.deliver, { access: 'read' });
    grantItems(tables.registry, this.deliver, REGISTRY_ITEMS.mintTokens);
    grantItems(tables.deliveries, this.deliver, DELIVERIES_ITEMS.deliveryLog);
    grantItems(tables.registry, this.deliver, REGISTRY_ITEMS.idSlots); // fallback: journal ID slots
    grantItems(tables.bindings, this.deliver, { access: 'read' }); // fallback: ONOFFLINEEVENT bindings
    grantItems(tables.journal, this.deliver, { access: 'write' }); // fallback: the offline queue
    grantItems(tables.deliveries, this.deliver, DELIVERIES_ITEMS.notificationThrottle);
    this.deliver.addToRolePolicy(
      new PolicyStatement({
        actions: ['scheduler:CreateSchedule'],
        resources: [stack.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${this.scheduleGroup.scheduleGroupName}/*` })],
      }),
    );
    schedulerRole.grantPassRole(this.deliver.grantPrincipal);
    storage.deliveryQueue.grantSendMessages(this.deliver); // retries and deferrals go back with a delay
    storage.deadLetterQueue.grantSendMessages(this.deliver); // exhausted retries are parked
    // Its ceiling: no more instances than maxConcurrency, however deep the queue, so a flood
    // cannot take the account's concurrency from publish and the API. Fairness between portals
    // is SQS's: messages carry MessageGroupId = member_id (fair queues, docs/operations.md).
    this.deliver.addEventSource(
      new SqsEventSource(storage.deliveryQueue, { batchSize: 10, reportBatchItemFailures: true, maxConcurrency: props.deliveryMaxConcurrency ?? DEFAULT_DELIVERY_MAX_CONCURRENCY }),
    );

    // OAuth refresh (docs/rest-api.md): GET or POST. HTTP API routes cannot end in "/", so the SDKs'
    // `/oauth/token/` reaches the function through the proxy route, which checks the path.
    const oauth = fn('OAuthToken', handlerEntry('oauth-token').file);
    grantItems(tables.registry, oauth, REGISTRY_ITEMS.oauth);
    grantItems(tables.registry, oauth, REGISTRY_ITEMS.oauthTokens);
    const oauthIntegration = new HttpLambdaIntegration('OAuthTokenIntegration', oauth, API_SCOPED);
    for (const path of ['/oauth/token', '/oauth/{proxy+}']) {
      const methods = [HttpMethod.GET, HttpMethod.POST];
      routes('oauth', path, methods, api.addRoutes({ path, methods, integration: oauthIntegration }));
    }

    // The web console (docs/console.md): its files and its API from one function; the files are
    // copied next to the bundle (lambdas/handlers/console.ts reads them there).
    const consoleFn = fn('Console', handlerEntry('console').file, {
      afterBundling: (inputDir, outputDir) => [
        `mkdir -p "${outputDir}/console/vendor"`,
        `cp "${inputDir}/console/index.html" "${inputDir}/console/app.js" "${inputDir}/console/style.css" "${outputDir}/console/"`,
        `cp "${inputDir}/node_modules/preact/dist/preact.mjs" "${inputDir}/node_modules/preact/hooks/dist/hooks.mjs" "${inputDir}/node_modules/uplot/dist/uPlot.esm.js" "${inputDir}/node_modules/uplot/dist/uPlot.min.css" "${outputDir}/console/vendor/"`,
      ],
    });
    // No Scan: the operator-wide list of portals is a local-runtime feature for now (docs/console.md).
    grantItems(tables.registry, consoleFn, REGISTRY_ITEMS.consoleRead);
    grantItems(tables.registry, consoleFn, REGISTRY_ITEMS.consoleSessions);
    grantItems(tables.bindings, consoleFn, { access: 'read' });
    grantItems(tables.journal, consoleFn, { access: 'read' });
    grantItems(tables.deliveries, consoleFn, { access: 'read' });
    grantItems(tables.deliveries, consoleFn, DELIVERIES_ITEMS.consoleHealth); // re-enable a switched-off handler
    storage.deliveryQueue.grantSendMessages(consoleFn); // resend, dead-letter redrive
    storage.deadLetterQueue.grantConsumeMessages(consoleFn); // dead-letter page: depth, peek, redrive (docs/console.md)
    const consoleIntegration = new HttpLambdaIntegration('ConsoleIntegration', consoleFn, API_SCOPED);
    api.addRoutes({ path: '/console', methods: [HttpMethod.GET], integration: consoleIntegration });
    api.addRoutes({ path: '/console/{proxy+}', methods: [HttpMethod.GET, HttpMethod.POST, HttpMethod.DELETE], integration: consoleIntegration });

    // Route-level throttling for the groups that differ from the stage default. The stage must
    // be created after the routes it names.
    const settings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
    for (const [key, group] of routeGroups) settings[key] = { ThrottlingRateLimit: throttle[group].rate, ThrottlingBurstLimit: throttle[group].burst };
    for (const route of throttledRoutes) this.stage.node.addDependency(route);
    (this.stage.node.defaultChild as CfnStage).routeSettings = settings;
  }
}

/** The CloudWatch namespace of a stage's own metrics (Powertools EMF and log metric filters). */
export const metricNamespace = (stage: string) => `b24-event-hub/${stage}`;
/** The `service` of a stage's log lines and the dimension of its EMF metrics. */
export const serviceName = (stage: string) => `b24-event-hub-${stage}`;
