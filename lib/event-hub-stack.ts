import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { Alarms } from './alarms';
import { Dashboard } from './dashboard';
import { suppressNagFindings } from './nag-suppressions';
import { metricNamespace, Service, serviceName, type ServiceSettings } from './service';
import { Storage } from './storage';

export interface EventHubStackProps extends StackProps, ServiceSettings {
  /** Subscribed to the alarm topic by e-mail. */
  alarmEmail?: string;
  /** Account-wide concurrent Lambda executions that page (default 800 of the default 1,000). */
  concurrencyAlarmThreshold?: number;
}

/**
 * The deployable service: the stateful part (`Storage`: tables and queues, RETAIN) and the
 * stateless part (`Service`: API and functions) as separate constructs, the second taking
 * the first as typed props, plus the alarms and the dashboard. Every name comes from CDK or
 * carries the stage, so stages deploy side by side.
 */
export class EventHubStack extends Stack {
  readonly storage: Storage;
  readonly service: Service;
  readonly alarms: Alarms;
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: EventHubStackProps) {
    super(scope, id, props);
    this.storage = new Storage(this, 'Storage');
    this.service = new Service(this, 'Service', { ...props, storage: this.storage });
    const { tables } = this.storage;
    const observed = {
      stage: props.stage,
      namespace: metricNamespace(props.stage),
      service: serviceName(props.stage),
      api: this.service.api,
      functions: this.service.functions,
      tables: Object.values(tables),
      deliveryQueue: this.storage.deliveryQueue,
      deadLetterQueue: this.storage.deadLetterQueue,
      notificationDeadLetterQueue: this.storage.notificationDeadLetterQueue,
      scheduleGroup: this.service.scheduleGroup,
    };
    this.alarms = new Alarms(this, 'Alarms', {
      ...observed,
      deliveryLogs: this.service.deliver.logGroup,
      ...(props.alarmEmail ? { alarmEmail: props.alarmEmail } : {}),
      ...(props.concurrencyAlarmThreshold !== undefined ? { concurrencyThreshold: props.concurrencyAlarmThreshold } : {}),
    });
    this.dashboard = new Dashboard(this, 'Dashboard', { ...observed, publish: this.service.publish });

    suppressNagFindings(this);

    new CfnOutput(this, 'ApiUrl', { value: this.service.api.apiEndpoint });
    new CfnOutput(this, 'PublicUrl', { value: this.service.publicUrl, description: 'The base URL applications are given (custom domain or CloudFront when the front is on)' });
    new CfnOutput(this, 'RegistryTable', { value: tables.registry.tableName });
    new CfnOutput(this, 'BindingsTable', { value: tables.bindings.tableName });
    new CfnOutput(this, 'JournalTable', { value: tables.journal.tableName });
    new CfnOutput(this, 'DeliveriesTable', { value: tables.deliveries.tableName });
    new CfnOutput(this, 'DeliveryQueueUrl', { value: this.storage.deliveryQueue.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.storage.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueArn', { value: this.storage.deadLetterQueue.queueArn });
    new CfnOutput(this, 'NotificationDeadLetterQueueUrl', { value: this.storage.notificationDeadLetterQueue.queueUrl });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarms.topic.topicArn });
    new CfnOutput(this, 'DashboardName', { value: this.dashboard.dashboard.dashboardName });
    if (this.service.front) new CfnOutput(this, 'DistributionDomainName', { value: this.service.front.distribution.distributionDomainName, description: 'Point the custom domain (CNAME/alias) here' });
  }
}
