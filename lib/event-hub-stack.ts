import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { DELIVER_ENTRY, NOTIFY_ENTRY, OAUTH_TOKEN_ENTRY, PUBLISH_ENTRY, REST_METHOD_ENTRIES } from '../lambdas/handlers/registry';
import { ServiceFunction } from './service-function';
import { DELIVERY_FUNCTION_TIMEOUT_SECONDS, Storage, type TableName } from './storage';

export interface EventHubStackProps extends StackProps {
  stage: string;
  /** Seconds a claimed journal record lives (SPEC §5). */
  claimLifetimeSeconds?: number;
  /** Delivery attempts after the first (0 = no retry, as Bitrix24). */
  deliveryRetries?: number;
  /** Deliver to private addresses too (only for handlers inside a private network). */
  handlerAllowPrivate?: boolean;
}

/** What each REST method may do with each table: least privilege, read-only where it only reads. */
const ACCESS: Record<string, Partial<Record<TableName, 'read' | 'write'>>> = {
  events: { registry: 'read' },
  'event.bind': { registry: 'write', bindings: 'write' },
  'event.unbind': { registry: 'read', bindings: 'write' },
  'event.get': { registry: 'read', bindings: 'read' },
  'event.offline.get': { registry: 'read', journal: 'write' },
  'event.offline.list': { registry: 'read', journal: 'read' },
  'event.offline.clear': { registry: 'read', journal: 'write' },
  'event.offline.error': { registry: 'read', journal: 'write' },
};

/**
 * The deployable service: tables, one Lambda per REST method plus publish, and an HTTP API
 * routing both path styles (with and without `.json`) and the IAM-authorized producer route.
 */
export class EventHubStack extends Stack {
  constructor(scope: Construct, id: string, props: EventHubStackProps) {
    super(scope, id, props);
    const storage = new Storage(this, 'Storage');
    const { tables } = storage;
    const api = new HttpApi(this, 'Api', { description: `b24-event-hub (${props.stage})` });
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
    };

    for (const [method, entry] of Object.entries(REST_METHOD_ENTRIES)) {
      const fn = new ServiceFunction(this, `Rest-${entry}`, { entry, environment });
      for (const [table, level] of Object.entries(ACCESS[method] ?? {})) {
        if (level === 'write') tables[table as TableName].grantReadWriteData(fn);
        else tables[table as TableName].grantReadData(fn);
      }
      const integration = new HttpLambdaIntegration(`Rest-${entry}-Integration`, fn);
      for (const path of [`/rest/${method}`, `/rest/${method}.json`, `/rest/{userId}/{secret}/${method}`, `/rest/{userId}/{secret}/${method}.json`]) {
        api.addRoutes({ path, methods: [HttpMethod.GET, HttpMethod.POST], integration });
      }
    }

    // ONOFFLINEEVENT (SPEC §7): the notifier sends trailing notifications; EventBridge Scheduler
    // invokes it through a role that may invoke only it; publish creates the one-time schedules.
    const notifier = new ServiceFunction(this, 'Notify', { entry: NOTIFY_ENTRY, environment });
    tables.registry.grantReadData(notifier);
    tables.bindings.grantReadData(notifier);
    tables.journal.grantReadData(notifier); // is anything pending?
    tables.deliveries.grantReadWriteData(notifier); // the throttle row
    storage.deliveryQueue.grantSendMessages(notifier);
    const scheduleGroup = new ScheduleGroup(this, 'NotificationSchedules', { removalPolicy: RemovalPolicy.DESTROY });
    const schedulerRole = new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': this.account } } }),
      description: 'EventBridge Scheduler: invokes the ONOFFLINEEVENT notifier, nothing else',
    });
    notifier.grantInvoke(schedulerRole);

    const publish = new ServiceFunction(this, 'Publish', {
      entry: PUBLISH_ENTRY,
      environment: { ...environment, SCHEDULE_GROUP: scheduleGroup.scheduleGroupName, NOTIFIER_ARN: notifier.functionArn, SCHEDULER_ROLE_ARN: schedulerRole.roleArn },
      timeout: Duration.seconds(30),
    });
    publish.addToRolePolicy(
      new PolicyStatement({
        actions: ['scheduler:CreateSchedule'],
        resources: [this.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${scheduleGroup.scheduleGroupName}/*` })],
      }),
    );
    schedulerRole.grantPassRole(publish.grantPrincipal);
    tables.deliveries.grantReadWriteData(publish); // the throttle rows
    tables.registry.grantReadWriteData(publish); // reads portals; leases journal ID slots
    tables.bindings.grantReadData(publish);
    tables.journal.grantReadWriteData(publish);
    storage.deliveryQueue.grantSendMessages(publish);
    api.addRoutes({
      path: '/producer/events',
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('PublishIntegration', publish),
      authorizer: new HttpIamAuthorizer(),
    });

    // The delivery worker: SQS event source, batches of 10, partial batch failures.
    const deliver = new ServiceFunction(this, 'Deliver', { entry: DELIVER_ENTRY, environment, timeout: Duration.seconds(DELIVERY_FUNCTION_TIMEOUT_SECONDS) });
    tables.registry.grantReadWriteData(deliver); // reads installations; stores the tokens it mints
    tables.deliveries.grantReadWriteData(deliver);
    storage.deliveryQueue.grantSendMessages(deliver); // retries and deferrals go back with a delay
    storage.deadLetterQueue.grantSendMessages(deliver); // exhausted retries are parked
    deliver.addEventSource(new SqsEventSource(storage.deliveryQueue, { batchSize: 10, reportBatchItemFailures: true }));

    // OAuth refresh (SPEC §1): GET or POST. HTTP API routes cannot end in "/", so the SDKs'
    // `/oauth/token/` reaches the function through the proxy route, which checks the path.
    const oauth = new ServiceFunction(this, 'OAuthToken', { entry: OAUTH_TOKEN_ENTRY, environment });
    tables.registry.grantReadWriteData(oauth);
    const oauthIntegration = new HttpLambdaIntegration('OAuthTokenIntegration', oauth);
    for (const path of ['/oauth/token', '/oauth/{proxy+}']) api.addRoutes({ path, methods: [HttpMethod.GET, HttpMethod.POST], integration: oauthIntegration });

    new CfnOutput(this, 'ApiUrl', { value: api.apiEndpoint });
    new CfnOutput(this, 'RegistryTable', { value: tables.registry.tableName });
    new CfnOutput(this, 'BindingsTable', { value: tables.bindings.tableName });
    new CfnOutput(this, 'JournalTable', { value: tables.journal.tableName });
    new CfnOutput(this, 'DeliveriesTable', { value: tables.deliveries.tableName });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: storage.deadLetterQueue.queueUrl });
  }
}
