import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CONFIG_VARIABLES, parseConfig } from '../../lambdas/config';
import { restMethods } from '../../lambdas/method-list';
import { restFunctionEntries } from '../../lib/entries';
import { EventHubStack } from '../../lib/event-hub-stack';

/**
 * Synthesizes the real stack once for all assertions. Without bundling: the
 * `aws:cdk:bundling-stacks` context (the key the CDK CLI sets to bundle only the stacks it
 * deploys) lists no stack. Nothing here reads the bundles; test/infra/bundles.test.ts builds
 * and loads them with the same settings (lib/service-function.ts BUNDLING).
 */
let template: Template;
beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  template = Template.fromStack(new EventHubStack(app, 'Test', { stage: 'test' }));
}, 120_000);

type Statement = { Action: string | string[]; Resource: unknown };

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

  it('has one arm64 Node.js 24 function per REST method plus publish, delivery, OAuth, notifier and the REST fallback, with the table names in its environment', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function')).filter((f) => f.Properties.Handler === 'index.handler');
    expect(functions).toHaveLength(restMethods().map((m) => m.name).length + 5);
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
    template.resourceCountIs('AWS::SQS::Queue', 2);
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
    expect(policyActionsOf(roleId)).toEqual(['lambda:InvokeFunction']);
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

  it('alarms on DLQ depth, the delivery queue’s backlog, the delivery failure rate, every function’s errors and throttles, and API 5xx, all to one topic', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    const functions = Object.keys(template.findResources('AWS::Lambda::Function')).length;
    expect(alarms).toHaveLength(1 + 1 + 1 + 2 * functions + 1);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible', Namespace: 'AWS/SQS', Threshold: 1 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateAgeOfOldestMessage', Namespace: 'AWS/SQS', Threshold: 300, EvaluationPeriods: 3 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Metrics: Match.arrayWith([Match.objectLike({ Expression: 'IF(attempts >= 20, 100 * failures / attempts, 0)' })]), Threshold: 50 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: '5xx', Namespace: 'AWS/ApiGateway', Threshold: 5 });
    template.hasResourceProperties('AWS::Logs::MetricFilter', { FilterPattern: Match.stringLikeRegexp('outcome.kind = "failed"'), MetricTransformations: [Match.objectLike({ MetricName: 'DeliveryFailures' })] });
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^AlarmsTopic/) }]);
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
      const access = entry.needs.tables[table as keyof typeof entry.needs.tables] ?? (table === 'registry' ? 'read' : undefined);
      const actions = policyActionsOf(prefix).length > 0 ? statementsOf(prefix, id) : [];
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
    expect(batch.needs).toEqual({ tables: { registry: 'write', bindings: 'write', journal: 'write' }, deliveryQueue: true });
  });
});

/** The actions of a function's statements on one table (resources referencing its logical id). */
function statementsOf(logicalIdPrefix: string, tableId: string): string[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(logicalIdPrefix))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[])
    .filter((st) => JSON.stringify(st.Resource ?? '').includes(tableId))
    .flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action]));
}
