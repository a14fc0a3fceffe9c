import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { Alarms } from './alarms';
import { suppressNagFindings } from './nag-suppressions';
import { Service, type ServiceSettings } from './service';
import { Storage } from './storage';

export interface EventHubStackProps extends StackProps, ServiceSettings {}

/**
 * The deployable service: the stateful part (`Storage`: tables and queues, RETAIN) and the
 * stateless part (`Service`: API and functions) as separate constructs, the second taking
 * the first as typed props, plus the alarms. Every name comes from CDK, so stages deploy
 * side by side.
 */
export class EventHubStack extends Stack {
  readonly storage: Storage;
  readonly service: Service;
  readonly alarms: Alarms;

  constructor(scope: Construct, id: string, props: EventHubStackProps) {
    super(scope, id, props);
    this.storage = new Storage(this, 'Storage');
    this.service = new Service(this, 'Service', { ...props, storage: this.storage });
    this.alarms = new Alarms(this, 'Alarms', {
      stage: props.stage,
      api: this.service.api,
      functions: this.service.functions,
      deadLetterQueue: this.storage.deadLetterQueue,
      deliveryQueue: this.storage.deliveryQueue,
      deliveryLogs: this.service.deliver.logGroup,
    });
    const { tables } = this.storage;

    suppressNagFindings(this);

    new CfnOutput(this, 'ApiUrl', { value: this.service.api.apiEndpoint });
    new CfnOutput(this, 'RegistryTable', { value: tables.registry.tableName });
    new CfnOutput(this, 'BindingsTable', { value: tables.bindings.tableName });
    new CfnOutput(this, 'JournalTable', { value: tables.journal.tableName });
    new CfnOutput(this, 'DeliveriesTable', { value: tables.deliveries.tableName });
    new CfnOutput(this, 'DeliveryQueueUrl', { value: this.storage.deliveryQueue.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.storage.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarms.topic.topicArn });
  }
}
