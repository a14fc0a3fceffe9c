import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CONFIG_VARIABLES, parseConfig } from '../../lambdas/config';
import { restMethods } from '../../lambdas/method-list';
import { restFunctionEntries } from '../../lib/entries';
import { KEY_PREFIXES } from '../../lambdas/adapters/dynamo/tables';
import { THRESHOLDS } from '../../lib/alarms';
import { EventHubStack } from '../../lib/event-hub-stack';
import { ACCESS_LOG_FIELDS, DEFAULT_THROTTLE, PUBLISH_TIMEOUT_SECONDS } from '../../lib/service';

/**
 * Synthesizes the real stack once for all assertions. Without bundling: the
 * `aws:cdk:bundling-stacks` context (the key the CDK CLI sets to bundle only the stacks it
 * deploys) lists no stack. Nothing here reads the bundles; test/infra/bundles.test.ts builds
 * and loads them with the same settings (lib/service-function.ts BUNDLING).
 */
let template: Template;
beforeAll(() => {
  // The assertions read the template, not the bundles (bundles.test.ts builds those).
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  template = Template.fromStack(new EventHubStack(app, 'Test', { stage: 'test', alarmEmail: 'ops@example.com' }));
}, 120_000);

type Statement = { Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, string[]>> };

/** The actions a function's role may take; `exceptOn` leaves out statements on resources whose logical id starts so. */
function policyActionsOf(logicalIdPrefix: string, exceptOn?: string): string[] {
  const policies = template.findResources('AWS::IAM::Policy');
  const roles = Object.entries(policies)
    .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(logicalIdPrefix))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[])
    .filter((s) => exceptOn === undefined || !JSON.stringify((s as { Resource?: unknown }).Resource ?? '').includes(exceptOn));
  return roles.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
}

describe('EventHubStack', () => {
  it('keeps data: four on-demand tables with PITR, deletion protection, RETAIN and TTL where items expire', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 4);
    const tables = template.findResources('AWS::DynamoDB::Table');
    for (const table of Object.values(tables)) {
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
      expect(table.Properties.TableName).toBeUndefined();
    }
    expect(Object.values(tables).filter((t) => t.Properties.TimeToLiveSpecification?.AttributeName === 'ttl')).toHaveLength(3);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: 'byApplication' })],
    });
    // The journal's pending records in ID order: a local index, keys only (journal-repository.ts).
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      LocalSecondaryIndexes: [
        {
          IndexName: 'byOrder',
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'ord', KeyType: 'RANGE' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    });
  });

  it('has one arm64 Node.js 24 function per REST method plus publish, delivery, OAuth, notifier, console and the REST fallback, with the table names in its environment', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function')).filter((f) => f.Properties.Handler === 'index.handler');
    expect(functions).toHaveLength(restMethods().map((m) => m.name).length + 6);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } });
      expect(Object.keys(fn.Properties.Environment.Variables)).toEqual(expect.arrayContaining(['TABLE_REGISTRY', 'TABLE_BINDINGS', 'TABLE_JOURNAL', 'TABLE_DELIVERIES', 'DELIVERY_QUEUE_URL', 'DELIVERY_DLQ_URL', 'PUBLIC_URL', 'PRODUCER_AUTH']));
      expect(fn.Properties.Environment.Variables.PRODUCER_AUTH).toBe('iam');
      expect(fn.Properties.Environment.Variables.HANDLER_ALLOW_PRIVATE).toBe('0');
    }
  });

  it('sets on each function only variables the config module knows, and enough for it to start', () => {
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function')).filter((f) => f.Properties.Handler === 'index.handler')) {
      const variables = fn.Properties.Environment.Variables as Record<string, unknown>;
      expect(Object.keys(variables).filter((name) => name !== 'NODE_OPTIONS' && !CONFIG_VARIABLES.includes(name))).toEqual([]);
      // Tokens (table names, URLs) become placeholders; the config must then parse.
      const env = Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, typeof v === 'string' ? v : k.endsWith('_URL') ? 'https://placeholder.example.com/x' : 'placeholder']));
      expect(() => parseConfig(env)).not.toThrow();
    }
  });

  it('routes GET /health, without authorization, to the small REST fallback function', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')) as { Properties: { RouteKey: string; AuthorizationType?: string; Target: unknown } }[];
    const health = routes.find((r) => r.Properties.RouteKey === 'GET /health')!;
    const fallback = routes.find((r) => r.Properties.RouteKey === 'ANY /rest/{proxy+}')!;
    expect(health.Properties.AuthorizationType).toBe('NONE');
    expect(health.Properties.Target).toEqual(fallback.Properties.Target);
  });

  it('feeds the delivery worker from SQS in batches of 10 with partial batch failures, and parks poison in a DLQ', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 10, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 540,
      RedrivePolicy: { maxReceiveCount: 5, deadLetterTargetArn: Match.anyValue() },
    });
    template.resourceCountIs('AWS::SQS::Queue', 3); // deliveries, their DLQ, the notifications' DLQ
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /oauth/token' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /oauth/{proxy+}' });
  });

  it('lets EventBridge Scheduler invoke only the notifier, and publish create only schedules in its group', () => {
    template.hasResourceProperties('AWS::Scheduler::ScheduleGroup', {});
    const roles = template.findResources('AWS::IAM::Role', {
      Properties: { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' } })] } },
    });
    const [[roleId, role]] = Object.entries(roles) as [[string, { Properties: { AssumeRolePolicyDocument: { Statement: { Condition: unknown }[] } } }]];
    expect(role.Properties.AssumeRolePolicyDocument.Statement[0]!.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
    // It may invoke the notifier and park what it could not deliver, nothing else.
    expect(new Set(policyActionsOf(roleId))).toEqual(new Set(['lambda:InvokeFunction', 'sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl']));
    const publishActions = policyActionsOf('Publish');
    expect(publishActions).toEqual(expect.arrayContaining(['scheduler:CreateSchedule', 'iam:PassRole', 'sqs:SendMessage']));
    expect(publishActions).not.toContain('scheduler:DeleteSchedule');
    const publish = Object.values(template.findResources('AWS::Lambda::Function')).find((f) => JSON.stringify(f.Properties.Environment.Variables).includes('NOTIFIER_ARN'));
    expect(Object.keys(publish!.Properties.Environment.Variables)).toEqual(expect.arrayContaining(['SCHEDULE_GROUP', 'NOTIFIER_ARN', 'SCHEDULER_ROLE_ARN']));
  });

  it('routes both path styles with and without .json to each method, and the producer route through IAM', () => {
    for (const method of restMethods().map((m) => m.name)) {
      for (const path of [`/rest/${method}`, `/rest/${method}.json`, `/rest/{userId}/{secret}/${method}`, `/rest/{userId}/{secret}/${method}.json`]) {
        template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: `POST ${path}` });
        template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: `GET ${path}` });
      }
    }
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /producer/events', AuthorizationType: 'AWS_IAM' });
    // Other spellings and a trailing "/" go to the fallback, which answers a 308 to the canonical route.
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'ANY /rest/{proxy+}' });
  });

  it('keeps the stateful resources in Storage and the stateless ones in Service', () => {
    const idsOf = (type: string) => Object.keys(template.findResources(type));
    for (const id of [...idsOf('AWS::DynamoDB::Table'), ...idsOf('AWS::SQS::Queue')]) expect(id).toMatch(/^Storage/);
    for (const id of [...idsOf('AWS::Lambda::Function'), ...idsOf('AWS::ApiGatewayV2::Api')]) expect(id).toMatch(/^Service|^CustomResource|^LogRetention/);
  });

  it('grants read-only access where a function only reads, and no wildcard actions', () => {
    // Beyond its rate-limit bucket (one UpdateItem on the deliveries table), list only reads.
    const listActions = policyActionsOf('Resteventofflinelist', 'StorageDeliveries');
    expect(listActions.some((a) => /PutItem|UpdateItem|DeleteItem|BatchWriteItem/.test(a))).toBe(false);
    expect(policyActionsOf('Resteventofflinelist')).toContain('dynamodb:UpdateItem');
    expect(listActions).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:GetItem']));
    expect(policyActionsOf('Resteventget').some((a) => /PutItem|DeleteItem/.test(a))).toBe(false);
    expect(policyActionsOf('Resteventbind')).toEqual(expect.arrayContaining(['dynamodb:PutItem']));
    const all = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
    for (const statement of all) for (const action of [statement.Action].flat()) expect(action).not.toMatch(/^(\*|dynamodb:\*)$/);
  });

  it('outputs the API URL and the table names the admin CLI needs', () => {
    for (const name of ['ApiUrl', 'RegistryTable', 'BindingsTable', 'JournalTable', 'DeliveriesTable', 'DeliveryQueueUrl', 'DeadLetterQueueUrl', 'AlarmTopicArn']) expect(template.findOutputs(name)).not.toEqual({});
  });
});

describe('EventHubStack grants from the method descriptors', () => {
  /** The tables a statement's resources name, by the Storage logical id they reference. */
  const TABLE_IDS: Record<string, string> = { registry: 'StorageRegistry', bindings: 'StorageBindings', journal: 'StorageJournal', deliveries: 'StorageDeliveries' };
  const WRITES = /PutItem|DeleteItem|BatchWriteItem|TransactWriteItems/;

  it.each(restFunctionEntries().map((e) => [e.name, e] as const))('gives the %s function what its descriptor needs and no more', (_, entry) => {
    const prefix = `Rest${entry.name.replace(/-/g, '')}`;
    for (const [table, id] of Object.entries(TABLE_IDS)) {
      // The registry is granted by item (LeadingKeys): the least-privilege tests below check it.
      if (table === 'registry') continue;
      const access = entry.needs.tables[table as keyof typeof entry.needs.tables] ?? (table === 'registry' ? 'read' : undefined);
      const actions = tableActionsOf(prefix, id);
      if (table === 'deliveries' && access === undefined) {
        // Only its rate-limit bucket: one UpdateItem.
        expect({ table, actions }).toEqual({ table, actions: ['dynamodb:UpdateItem'] });
      } else if (access === undefined) {
        expect({ table, actions }).toEqual({ table, actions: [] });
      } else {
        expect({ table, reads: actions.includes('dynamodb:Query') && actions.includes('dynamodb:GetItem') }).toEqual({ table, reads: true });
        expect({ table, writes: actions.some((a) => WRITES.test(a)) }).toEqual({ table, writes: access === 'write' });
      }
    }
    expect(policyActionsOf(prefix).includes('sqs:SendMessage')).toBe(entry.needs.deliveryQueue === true);
  });

  it('gives batch the union of every method it runs', () => {
    const batch = restFunctionEntries().find((e) => e.method.aggregate)!;
    // deliveries: event.delivery.enable switches a handler back on (its health row).
    expect(batch.needs).toEqual({ tables: { registry: 'write', bindings: 'write', journal: 'write', deliveries: 'write' }, deliveryQueue: true });
  });
});

/** The statements of the policies attached to roles whose logical id starts so. */
function statementsOf(logicalIdPrefix: string): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(logicalIdPrefix))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}
const on = (statement: Statement, table: string) => JSON.stringify(statement.Resource).includes(`Storage${table}Table`);
const leadingKeys = (statement: Statement) => statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
const actions = (statement: Statement) => [statement.Action].flat();

describe('EventHubStack: the edge', () => {
  it('throttles the API before any function runs: a stage default, and the producer and OAuth routes apart', () => {
    // Protects the account's shared API quota and the functions from floods (issue 19 §1).
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: DEFAULT_THROTTLE.rest.rate, ThrottlingBurstLimit: DEFAULT_THROTTLE.rest.burst },
      RouteSettings: {
        'POST /producer/events': { ThrottlingRateLimit: DEFAULT_THROTTLE.producer.rate, ThrottlingBurstLimit: DEFAULT_THROTTLE.producer.burst },
        'GET /oauth/token': { ThrottlingRateLimit: DEFAULT_THROTTLE.oauth.rate, ThrottlingBurstLimit: DEFAULT_THROTTLE.oauth.burst },
        'POST /oauth/{proxy+}': { ThrottlingRateLimit: DEFAULT_THROTTLE.oauth.rate, ThrottlingBurstLimit: DEFAULT_THROTTLE.oauth.burst },
      },
    });
    // The stage is created after the routes its settings name (else CloudFormation cannot find them).
    const [stage] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
    expect((stage!.DependsOn as string[]).some((id) => /ApiPOSTproducerevents/.test(id))).toBe(true);
  });

  it('writes JSON access logs with request id, route, status, latency and integration error, never the path', () => {
    // Protects the operator's one record of every request, and the secrets in webhook paths.
    const [stage] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
    const format = JSON.parse(stage!.Properties.AccessLogSettings.Format as string) as Record<string, string>;
    expect(format).toEqual(ACCESS_LOG_FIELDS);
    expect(Object.values(format)).toEqual(expect.arrayContaining(['$context.requestId', '$context.routeKey', '$context.status', '$context.responseLatency', '$context.integrationErrorMessage']));
    expect(Object.values(format).filter((v) => /\$context\.(path|rawPath|queryString)/.test(v))).toEqual([]);
  });

  it('answers CORS preflights in API Gateway, with the headers the functions send', () => {
    // Protects browser clients: OPTIONS no longer reaches the /rest fallback (404).
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: { AllowOrigins: ['*'], AllowMethods: ['GET', 'POST', 'OPTIONS'], AllowHeaders: ['Content-Type', 'Authorization'], MaxAge: 86400 },
    });
  });

  it('gives publish a timeout well under the HTTP API’s 30 s', () => {
    // Protects producers from a 503 while fan-out goes on.
    const publish = Object.values(template.findResources('AWS::Lambda::Function')).find((f) => JSON.stringify(f.Properties.Environment.Variables).includes('NOTIFIER_ARN'));
    expect(publish!.Properties.Timeout).toBe(PUBLISH_TIMEOUT_SECONDS);
    expect(PUBLISH_TIMEOUT_SECONDS).toBeLessThanOrEqual(20);
  });

  it('hands applications the execute-api URL when there is no front, and the per-stage metric namespace and service name', () => {
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function')).filter((f) => f.Properties.Handler === 'index.handler')) {
      const variables = fn.Properties.Environment.Variables as Record<string, unknown>;
      expect(variables.PUBLIC_URL).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ServiceApi[0-9A-F]+$/), 'ApiEndpoint'] });
      expect(variables).toMatchObject({ POWERTOOLS_METRICS_NAMESPACE: 'b24-event-hub/test', POWERTOOLS_SERVICE_NAME: 'b24-event-hub-test' });
    }
  });
});

describe('EventHubStack: alarms and dashboard', () => {
  const alarms = () => Object.values(template.findResources('AWS::CloudWatch::Alarm'));
  const named = (suffix: string) => alarms().filter((a) => String(a.Properties.AlarmName).startsWith(`b24-event-hub-test-${suffix}`));

  it('sends every alarm and its return to OK to one topic, which the alarm e-mail subscribes', () => {
    // Protects "alarms reach someone": no alarm without an action, no silent recovery.
    for (const alarm of alarms()) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^AlarmsTopic/) }]);
      expect(alarm.Properties.OKActions).toEqual(alarm.Properties.AlarmActions);
    }
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: Match.stringLikeRegexp('^AlarmsTopic') } });
  });

  it('has each alarm the issue lists, with its documented threshold and evaluation', () => {
    // Protects the thresholds docs/operations.md states.
    const functions = Object.values(template.findResources('AWS::Lambda::Function')).filter((f) => f.Properties.Handler === 'index.handler').length;
    expect(named('Errors')).toHaveLength(functions);
    expect(named('Throttles')).toHaveLength(functions);
    expect(named('Duration')).toHaveLength(functions);
    for (const alarm of named('Errors')) expect(alarm.Properties).toMatchObject({ Threshold: THRESHOLDS.functionErrorPercent, EvaluationPeriods: 3, DatapointsToAlarm: 2 });
    // Duration near the timeout: 80% of each function's own timeout, e.g. publish's 15 s → 12,000 ms.
    expect(named('Duration').map((a) => a.Properties.Threshold)).toContain(PUBLISH_TIMEOUT_SECONDS * 1000 * 0.8);
    expect(named('TableThrottles')).toHaveLength(4);
    const one = (name: string) => {
      const found = named(name);
      expect({ name, count: found.length }).toEqual({ name, count: 1 });
      return found[0]!.Properties;
    };
    expect(one('DeliveryQueueBacklog')).toMatchObject({ MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 300, EvaluationPeriods: 3 });
    expect(one('DeadLetterQueueDepth')).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1 });
    expect(one('NotificationDeadLetterQueueDepth')).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1 });
    expect(one('DeliveryFailureRate')).toMatchObject({ Threshold: 50 });
    expect(one('ConcurrentExecutions')).toMatchObject({ MetricName: 'ConcurrentExecutions', Namespace: 'AWS/Lambda', Threshold: THRESHOLDS.concurrentExecutions });
    expect(one('Api5xx')).toMatchObject({ MetricName: '5xx', Namespace: 'AWS/ApiGateway', Threshold: THRESHOLDS.api5xx });
    expect(one('ApiLatency')).toMatchObject({ MetricName: 'Latency', ExtendedStatistic: 'p99', Threshold: THRESHOLDS.apiLatencyP99Ms });
    expect(one('OfflineQueueOldestAge')).toMatchObject({ MetricName: 'OfflineQueueOldestAge', Namespace: 'b24-event-hub/test', Dimensions: [{ Name: 'service', Value: 'b24-event-hub-test' }], Threshold: 86400 });
    expect(one('SchedulerDropped')).toMatchObject({ MetricName: 'InvocationDroppedCount', Namespace: 'AWS/Scheduler', Threshold: 1 });
    expect(one('SchedulerTargetErrors')).toMatchObject({ MetricName: 'TargetErrorCount', Namespace: 'AWS/Scheduler', Threshold: THRESHOLDS.schedulerTargetErrors });
    template.hasResourceProperties('AWS::Logs::MetricFilter', { FilterPattern: Match.stringLikeRegexp('outcome.kind = "failed"'), MetricTransformations: [Match.objectLike({ MetricName: 'DeliveryFailures', MetricNamespace: 'b24-event-hub/test' })] });
  });

  it('has one dashboard for the stage with publish rate, deliveries by outcome, latency, backlog, DLQ and queue depth, throttles and errors', () => {
    // Protects the operator's one screen.
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0]!.Properties.DashboardName).toBe('b24-event-hub-test');
    const body = JSON.stringify(dashboards[0]!.Properties.DashboardBody);
    for (const title of ['Published', 'Deliveries by outcome', 'Delivery latency', 'Backlog age', 'Queue depth', 'Dead-letter queues', 'Throttles', 'Errors']) expect(body).toContain(title);
    for (const metric of ['EventsPublished', 'DeliveriesSucceeded', 'DeliveriesFailed', 'DeliveryLatency', 'ApproximateAgeOfOldestMessage', 'OfflineQueueOldestAge', 'ApproximateNumberOfMessagesVisible', 'ReadThrottleEvents', 'ConcurrentExecutions', '5xx', 'InvocationDroppedCount']) {
      expect(body).toContain(metric);
    }
  });
});

describe('EventHubStack: no notification lost', () => {
  it('gives the scheduler target a dead-letter queue: publish knows it, the scheduler role may send to it', () => {
    // Protects trailing ONOFFLINEEVENT notifications from being dropped silently.
    const publish = Object.values(template.findResources('AWS::Lambda::Function')).find((f) => JSON.stringify(f.Properties.Environment.Variables).includes('NOTIFIER_ARN'))!;
    expect(publish.Properties.Environment.Variables.SCHEDULER_DLQ_ARN).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^StorageNotificationDeadLetterQueue/), 'Arn'] });
    const [roleId] = Object.keys(template.findResources('AWS::IAM::Role', { Properties: { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' } })] } } }));
    const send = statementsOf(roleId!).find((s) => actions(s).includes('sqs:SendMessage'))!;
    expect(send.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^StorageNotificationDeadLetterQueue/), 'Arn'] });
  });

  it('sends the notifier’s failed asynchronous invocations to the same queue (on-failure destination)', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: Match.stringLikeRegexp('^ServiceNotify') },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StorageNotificationDeadLetterQueue'), 'Arn'] } } },
    });
  });
});

describe('EventHubStack: least privilege', () => {
  it('routes /console and /console/{proxy+} to the console function, which may write only credentials and health rows', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties.RouteKey as string);
    expect(routes).toEqual(expect.arrayContaining(['GET /console', 'GET /console/{proxy+}', 'POST /console/{proxy+}', 'DELETE /console/{proxy+}']));
    const writes = statementsOf('ServiceConsole').filter((s) => actions(s).some((a) => /Put|Update|Delete|Write/.test(a)) && (on(s, 'Registry') || on(s, 'Deliveries')));
    expect(writes.map((s) => [on(s, 'Registry') ? 'registry' : 'deliveries', leadingKeys(s)])).toEqual([
      ['registry', [`${KEY_PREFIXES.registry.credential}*`]],
      ['deliveries', [`${KEY_PREFIXES.deliveries.health}*`]],
    ]);
  });

  it('lets the console read and redrive the deliveries dead-letter queue (receive, delete, attributes) and send to the delivery queue, and nothing more on queues', () => {
    const queues = statementsOf('ServiceConsole').filter((s) => actions(s).some((a) => a.startsWith('sqs:')));
    const byQueue = (prefix: string) => queues.filter((s) => JSON.stringify(s.Resource).includes(`"${prefix}`)).flatMap(actions).sort();
    expect(byQueue('StorageDeliveryDeadLetterQueue')).toEqual(expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility']));
    expect(byQueue('StorageDeliveryDeadLetterQueue')).not.toContain('sqs:SendMessage');
    expect(byQueue('StorageDeliveryQueue')).toEqual(expect.arrayContaining(['sqs:SendMessage']));
    expect(byQueue('StorageDeliveryQueue').filter((a) => /Receive|Delete|Purge/.test(a))).toEqual([]);
    expect(queues.every((s) => /StorageDeliveryDeadLetterQueue|StorageDeliveryQueue/.test(JSON.stringify(s.Resource)))).toBe(true);
  });

  it('grants Scan to no function (only the admin CLI scans, with the operator’s credentials)', () => {
    const all = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
    expect(all.flatMap(actions).filter((a) => a === 'dynamodb:Scan' || a === 'dynamodb:*')).toEqual([]);
  });

  it('limits every registry grant of every function to the items it needs (dynamodb:LeadingKeys)', () => {
    // Protects credential hashes, signing secrets and client-secret hashes.
    const registry = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]).filter((s) => on(s, 'Registry'));
    expect(registry.length).toBeGreaterThan(0);
    for (const statement of registry) expect(leadingKeys(statement)).toEqual(expect.any(Array));
    const R = KEY_PREFIXES.registry;
    // The delivery worker calls arbitrary URLs: installations read, tokens put, and the journal's
    // ID slots leased for a push that falls back to pull (docs/delivery.md); nothing else.
    const deliver = statementsOf('ServiceDeliver').filter((s) => on(s, 'Registry'));
    expect(deliver.map((s) => [leadingKeys(s), actions(s).filter((a) => /Put|Update|Delete|Write/.test(a))])).toEqual([
      [[`${R.portal}*`], []],
      [[`${R.credential}*`], ['dynamodb:PutItem']],
      [[`${R.idSlot}*`], ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']],
    ]);
    // … and the bindings read only (a delivery whose binding is gone is dropped unsent).
    expect(statementsOf('ServiceDeliver').filter((s) => on(s, 'Bindings')).map((s) => actions(s).filter((a) => /Put|Update|Delete|Write/.test(a)))).toEqual([[]]);
    // Only OAuth reads application items (client-secret hashes).
    const readers = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([, p]) => (p.Properties.PolicyDocument.Statement as Statement[]).some((s) => on(s, 'Registry') && leadingKeys(s)?.includes(`${R.application}*`)));
    expect(readers.map(([, p]) => JSON.stringify(p.Properties.Roles))).toEqual([expect.stringContaining('ServiceOAuthToken')]);
    // A REST method never writes the registry beyond event.bind's connector (UpdateItem on installations).
    const restWrites = statementsOf('ServiceRest').filter((s) => on(s, 'Registry') && actions(s).some((a) => /Put|Update|Delete|Write/.test(a)));
    for (const statement of restWrites) expect([actions(statement), leadingKeys(statement)]).toEqual([['dynamodb:UpdateItem'], [`${R.portal}*`]]);
  });

  it('lets REST methods update only their rate-limit rows in the deliveries table, unless their descriptor needs the table', () => {
    // The delivery history methods, event.get (switch-offs) and event.bind (binding again switches a
    // handler back on), and batch, which runs them, declare the deliveries table in
    // their `needs`; every other method may touch only its rate-limit row.
    const needing = restFunctionEntries().filter((e) => e.needs.tables.deliveries !== undefined);
    expect(needing.map((e) => e.method.name).sort()).toEqual(['batch', 'event.bind', 'event.delivery.enable', 'event.delivery.list', 'event.delivery.resend', 'event.get']);
    const others = restFunctionEntries().filter((e) => e.needs.tables.deliveries === undefined);
    expect(others.length).toBeGreaterThan(10);
    for (const { name } of others) {
      const deliveries = statementsOf(`ServiceRest${name.replace(/[^A-Za-z0-9]/g, '')}`).filter((s) => on(s, 'Deliveries'));
      expect(deliveries.length).toBeGreaterThan(0);
      for (const statement of deliveries) expect([name, actions(statement), leadingKeys(statement)]).toEqual([name, ['dynamodb:UpdateItem'], [`${KEY_PREFIXES.deliveries.rateLimit}*`]]);
    }
  });

  it('lets each function write only its own log group (no AWSLambdaBasicExecutionRole, which allows every log group)', () => {
    const roles = template.findResources('AWS::IAM::Role', { Properties: { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })] } } });
    const functions = Object.values(template.findResources('AWS::Lambda::Function')).filter((f) => f.Properties.Handler === 'index.handler');
    for (const fn of functions) {
      const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      expect(roles[roleId]!.Properties.ManagedPolicyArns).toBeUndefined();
      const logs = statementsOf(roleId).filter((st) => actions(st).some((a) => a.startsWith('logs:')));
      const logGroupId = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(logs.map((st) => st.Resource)).toEqual([{ 'Fn::GetAtt': [logGroupId, 'Arn'] }]);
    }
  });

  it('lists the index wildcard only for tables that have indexes', () => {
    const all = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
    for (const statement of all.filter((s) => JSON.stringify(s.Resource).includes('/index/*'))) expect(on(statement, 'Bindings') || on(statement, 'Journal')).toBe(true);
  });
});

/** The actions of a function's statements on one table (resources referencing its logical id). */
function tableActionsOf(logicalIdPrefix: string, tableId: string): string[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(logicalIdPrefix))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[])
    .filter((st) => JSON.stringify(st.Resource ?? '').includes(tableId))
    .flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action]));
}
