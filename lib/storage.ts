import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { AttributeType, BillingMode, ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLES, type TableSpec } from '../lambdas/adapters/dynamo/tables';
import { MAX_RECEIVE_COUNT } from '../lambdas/adapters/sqs/delivery-queue';
import { declareIndexed } from './grants';

/** The delivery function's timeout: the longest handler timeout (60 s) plus room. */
export const DELIVERY_FUNCTION_TIMEOUT_SECONDS = 90;

export type TableName = TableSpec['name'];

/**
 * The stateful part: the DynamoDB tables, declared from the same specs the local runtime
 * creates (lambdas/adapters/dynamo/tables.ts). On-demand, point-in-time recovery, TTL where
 * items expire, deletion protection, and RETAIN: removing the stack never removes data.
 * Names come from CloudFormation, so several stages can live in one account.
 */
export class Storage extends Construct {
  readonly tables: Record<TableName, Table>;
  /** Online deliveries (docs/delivery.md), and where exhausted or malformed ones are parked. */
  readonly deliveryQueue: Queue;
  readonly deadLetterQueue: Queue;
  /**
   * ONOFFLINEEVENT trailing notifications that could not be made: what EventBridge Scheduler
   * could not hand to the notifier (its target's dead-letter queue) and notifier invocations
   * that failed after Lambda's retries (its on-failure destination).
   */
  readonly notificationDeadLetterQueue: Queue;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const tables = {} as Record<TableName, Table>;
    for (const spec of TABLES) {
      const table = new Table(this, `${spec.name[0]!.toUpperCase()}${spec.name.slice(1)}Table`, {
        partitionKey: { name: spec.partitionKey, type: AttributeType.STRING },
        sortKey: { name: spec.sortKey, type: AttributeType.STRING },
        billingMode: BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtection: true,
        removalPolicy: RemovalPolicy.RETAIN,
        ...(spec.ttlAttribute ? { timeToLiveAttribute: spec.ttlAttribute } : {}),
      });
      for (const index of spec.indexes) {
        table.addGlobalSecondaryIndex({
          indexName: index.name,
          partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
          sortKey: { name: index.sortKey, type: index.sortKeyType === 'N' ? AttributeType.NUMBER : AttributeType.STRING },
        });
      }
      for (const index of spec.localIndexes ?? []) {
        table.addLocalSecondaryIndex({
          indexName: index.name,
          sortKey: { name: index.sortKey, type: index.sortKeyType === 'N' ? AttributeType.NUMBER : AttributeType.STRING },
          projectionType: ProjectionType.KEYS_ONLY,
        });
      }
      if (spec.indexes.length > 0 || (spec.localIndexes ?? []).length > 0) declareIndexed(table);
      tables[spec.name] = table;
    }
    this.tables = tables;

    this.deadLetterQueue = new Queue(this, 'DeliveryDeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.notificationDeadLetterQueue = new Queue(this, 'NotificationDeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.deliveryQueue = new Queue(this, 'DeliveryQueue', {
      // Six times the delivery function's timeout, as AWS advises for an SQS event source.
      visibilityTimeout: Duration.seconds(6 * DELIVERY_FUNCTION_TIMEOUT_SECONDS),
      retentionPeriod: Duration.days(4),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Same count as the local runtime (local/sqs.ts): a message the worker keeps failing is parked.
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
  }
}
