import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { handlerEntry, restFallbackEntry, restFunctionEntries } from './entries';
import { ServiceFunction } from './service-function';
import { DELIVERY_FUNCTION_TIMEOUT_SECONDS, type Storage, type TableName } from './storage';

/** Deployment settings (CDK context, bin/app.ts). */
export interface ServiceSettings {
  stage: string;
  /** Seconds a claimed journal record lives (docs/journal.md). */
  claimLifetimeSeconds?: number;
  /** Delivery attempts after the first (0 = no retry, as Bitrix24). */
  deliveryRetries?: number;
  /** Deliver to private addresses too (only for handlers inside a private network). */
  handlerAllowPrivate?: boolean;
  /** Each application's leaky bucket (docs/limits.md); Bitrix24's 2 per second and 50 when unset. */
  rateLimitPerSecond?: number;
  rateLimitBurst?: number;
}

export interface ServiceProps extends ServiceSettings {
  /** The stateful part this service reads and writes. */
  storage: Storage;
}

/**
 * The stateless part: the HTTP API, one Lambda per REST method plus publish, delivery,
 * OAuth, notifier and the REST fallback, the schedule group and the scheduler's role. It can
 * be replaced at will; the data lives in `Storage`, passed in as props.
 */
export class Service extends Construct {
  readonly api: HttpApi;
  readonly functions: ServiceFunction[] = [];
  readonly deliver: ServiceFunction;

  constructor(scope: Construct, id: string, props: ServiceProps) {
    super(scope, id);
    const { storage } = props;
    const { tables } = storage;
    const stack = Stack.of(this);
    this.api = new HttpApi(this, 'Api', { description: `b24-event-hub (${props.stage})`, createDefaultStage: false });
    const api = this.api;
    // The default stage, with access logs (request id, route, status, latency, caller IP).
    new HttpStage(this, 'DefaultStage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: { destination: new LogGroupLogDestination(new LogGroup(this, 'AccessLogs', { retention: RetentionDays.TWO_WEEKS })) },
    });
    const environment = {
      TABLE_REGISTRY: tables.registry.tableName,
      TABLE_BINDINGS: tables.bindings.tableName,
      TABLE_JOURNAL: tables.journal.tableName,
      TABLE_DELIVERIES: tables.deliveries.tableName,
      DELIVERY_QUEUE_URL: storage.deliveryQueue.queueUrl,
      DELIVERY_DLQ_URL: storage.deadLetterQueue.queueUrl,
      DELIVERY_RETRIES: String(props.deliveryRetries ?? 0),
      HANDLER_ALLOW_PRIVATE: props.handlerAllowPrivate ? '1' : '0',
      PUBLIC_URL: api.apiEndpoint,
      SCHEDULER: 'eventbridge',
      PRODUCER_AUTH: 'iam',
      CLAIM_LIFETIME_SECONDS: String(props.claimLifetimeSeconds ?? 30 * 24 * 3600),
      ...(props.rateLimitPerSecond !== undefined ? { RATE_LIMIT_PER_SECOND: String(props.rateLimitPerSecond) } : {}),
      ...(props.rateLimitBurst !== undefined ? { RATE_LIMIT_BURST: String(props.rateLimitBurst) } : {}),
    };
    const fn = (name: string, entry: string, extra: Partial<ConstructorParameters<typeof ServiceFunction>[2]> = {}) => {
      const created = new ServiceFunction(this, name, { entry, environment, ...extra });
      this.functions.push(created);
      return created;
    };

    // One function per REST method, granted what its descriptor needs (lambdas/methods/).
    for (const { name: entry, file, method: { name: method }, needs } of restFunctionEntries()) {
      const restFn = fn(`Rest-${entry}`, file);
      // Every call authenticates (reads the registry) before its method runs.
      if (needs.tables.registry !== 'write') tables.registry.grantReadData(restFn);
      for (const [table, level] of Object.entries(needs.tables) as [TableName, 'read' | 'write'][]) {
        if (level === 'write') tables[table].grantReadWriteData(restFn);
        else tables[table].grantReadData(restFn);
      }
      if (needs.deliveryQueue) storage.deliveryQueue.grantSendMessages(restFn);
      // Every call takes from its application's rate-limit bucket (a conditional UpdateItem).
      tables.deliveries.grant(restFn, 'dynamodb:UpdateItem');
      const integration = new HttpLambdaIntegration(`Rest-${entry}-Integration`, restFn);
      for (const path of [`/rest/${method}`, `/rest/${method}.json`, `/rest/{userId}/{secret}/${method}`, `/rest/{userId}/{secret}/${method}.json`]) {
        api.addRoutes({ path, methods: [HttpMethod.GET, HttpMethod.POST], integration });
      }
    }
    // Other spellings and a trailing "/" (docs/rest-api.md): a 308 to the canonical route.
    const fallback = fn('RestFallback', restFallbackEntry().file, { memorySize: 128 });
    const fallbackIntegration = new HttpLambdaIntegration('RestFallbackIntegration', fallback);
    api.addRoutes({ path: '/rest/{proxy+}', methods: [HttpMethod.ANY], integration: fallbackIntegration });
    api.addRoutes({ path: '/health', methods: [HttpMethod.GET], integration: fallbackIntegration }); // liveness, the same tiny function

    // ONOFFLINEEVENT (docs/notifications.md): the notifier sends trailing notifications; EventBridge Scheduler
    // invokes it through a role that may invoke only it; publish creates the one-time schedules.
    const notifier = fn('Notify', handlerEntry('notify').file);
    tables.registry.grantReadData(notifier);
    tables.bindings.grantReadData(notifier);
    tables.journal.grantReadData(notifier); // is anything pending?
    tables.deliveries.grantReadWriteData(notifier); // the throttle row
    storage.deliveryQueue.grantSendMessages(notifier);
    const scheduleGroup = new ScheduleGroup(this, 'NotificationSchedules', { removalPolicy: RemovalPolicy.DESTROY });
    const schedulerRole = new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: 'EventBridge Scheduler: invokes the ONOFFLINEEVENT notifier, nothing else',
    });
    notifier.grantInvoke(schedulerRole);

    const publish = fn('Publish', handlerEntry('publish').file, {
      environment: { ...environment, SCHEDULE_GROUP: scheduleGroup.scheduleGroupName, NOTIFIER_ARN: notifier.functionArn, SCHEDULER_ROLE_ARN: schedulerRole.roleArn },
      timeout: Duration.seconds(30),
    });
    publish.addToRolePolicy(
      new PolicyStatement({
        actions: ['scheduler:CreateSchedule'],
        resources: [stack.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${scheduleGroup.scheduleGroupName}/*` })],
      }),
    );
    schedulerRole.grantPassRole(publish.grantPrincipal);
    tables.registry.grantReadWriteData(publish); // reads portals; leases journal ID slots
    tables.bindings.grantReadData(publish);
    tables.journal.grantReadWriteData(publish);
    tables.deliveries.grantReadWriteData(publish); // the throttle rows
    storage.deliveryQueue.grantSendMessages(publish);
    api.addRoutes({
      path: '/producer/events',
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('PublishIntegration', publish),
      authorizer: new HttpIamAuthorizer(),
    });

    // The delivery worker: SQS event source, batches of 10, partial batch failures.
    this.deliver = fn('Deliver', handlerEntry('deliver').file, { timeout: Duration.seconds(DELIVERY_FUNCTION_TIMEOUT_SECONDS) });
    tables.registry.grantReadWriteData(this.deliver); // reads installations; stores the tokens it mints
    tables.deliveries.grantReadWriteData(this.deliver);
    storage.deliveryQueue.grantSendMessages(this.deliver); // retries and deferrals go back with a delay
    storage.deadLetterQueue.grantSendMessages(this.deliver); // exhausted retries are parked
    this.deliver.addEventSource(new SqsEventSource(storage.deliveryQueue, { batchSize: 10, reportBatchItemFailures: true }));

    // OAuth refresh (docs/rest-api.md): GET or POST. HTTP API routes cannot end in "/", so the SDKs'
    // `/oauth/token/` reaches the function through the proxy route, which checks the path.
    const oauth = fn('OAuthToken', handlerEntry('oauth-token').file);
    tables.registry.grantReadWriteData(oauth);
    const oauthIntegration = new HttpLambdaIntegration('OAuthTokenIntegration', oauth);
    for (const path of ['/oauth/token', '/oauth/{proxy+}']) api.addRoutes({ path, methods: [HttpMethod.GET, HttpMethod.POST], integration: oauthIntegration });
  }
}
