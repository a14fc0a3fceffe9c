import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Construct } from 'constructs';
import { PUBLISH_ENTRY, REST_METHOD_ENTRIES } from '../lambdas/handlers/registry';
import { ServiceFunction } from './service-function';
import { Storage, type TableName } from './storage';

export interface EventHubStackProps extends StackProps {
  stage: string;
  /** Seconds a claimed journal record lives (SPEC §5). */
  claimLifetimeSeconds?: number;
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
    const { tables } = new Storage(this, 'Storage');
    const api = new HttpApi(this, 'Api', { description: `b24-event-hub (${props.stage})` });
    const environment = {
      TABLE_REGISTRY: tables.registry.tableName,
      TABLE_BINDINGS: tables.bindings.tableName,
      TABLE_JOURNAL: tables.journal.tableName,
      PUBLIC_URL: api.apiEndpoint,
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

    const publish = new ServiceFunction(this, 'Publish', { entry: PUBLISH_ENTRY, environment, timeout: Duration.seconds(30) });
    tables.registry.grantReadWriteData(publish); // reads portals; leases journal ID slots
    tables.bindings.grantReadData(publish);
    tables.journal.grantReadWriteData(publish);
    api.addRoutes({
      path: '/producer/events',
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('PublishIntegration', publish),
      authorizer: new HttpIamAuthorizer(),
    });

    new CfnOutput(this, 'ApiUrl', { value: api.apiEndpoint });
    new CfnOutput(this, 'RegistryTable', { value: tables.registry.tableName });
    new CfnOutput(this, 'BindingsTable', { value: tables.bindings.tableName });
    new CfnOutput(this, 'JournalTable', { value: tables.journal.tableName });
  }
}
