import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Dashboard as CwDashboard, GraphWidget, MathExpression, Metric, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface DashboardProps {
  stage: string;
  namespace: string;
  service: string;
  api: HttpApi;
  functions: LambdaFunction[];
  publish: LambdaFunction;
  tables: Table[];
  deliveryQueue: Queue;
  deadLetterQueue: Queue;
  notificationDeadLetterQueue: Queue;
  scheduleGroup: ScheduleGroup;
}

/** The sum of one metric over many resources, as one line. */
function sumOf(id: string, label: string, metrics: IMetric[], period: Duration): MathExpression {
  const usingMetrics = Object.fromEntries(metrics.map((m, i) => [`${id}${i}`, m]));
  return new MathExpression({ expression: `SUM([${Object.keys(usingMetrics).join(',')}])`, usingMetrics, label, period });
}

/**
 * One CloudWatch dashboard per stage (`b24-event-hub-<stage>`): publish rate, deliveries by
 * outcome, delivery latency, backlog ages, queue and DLQ depths, throttles and errors, each
 * described in docs/operations.md ("The dashboard").
 */
export class Dashboard extends Construct {
  readonly dashboard: CwDashboard;

  constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    const period = Duration.minutes(5);
    const own = (metricName: string, statistic = 'Sum', label = metricName) =>
      new Metric({ namespace: props.namespace, metricName, dimensionsMap: { service: props.service }, period, statistic, label });
    const graph = (title: string, left: IMetric[], right: IMetric[] = []) => new GraphWidget({ title, left, right, width: 8, height: 6 });

    this.dashboard = new CwDashboard(this, 'Dashboard', { dashboardName: `b24-event-hub-${props.stage}`, defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(
      graph('Published (per 5 min)', [own('EventsPublished', 'Sum', 'events'), own('DeliveriesQueued', 'Sum', 'deliveries queued'), own('RecordsWritten', 'Sum', 'journal records')], [
        props.publish.metricInvocations({ period, label: 'publish requests' }),
      ]),
      graph('Deliveries by outcome (per 5 min)', [
        own('DeliveriesSucceeded', 'Sum', 'delivered'),
        own('DeliveriesFailed', 'Sum', 'failed'),
        own('DeliveriesDeferred', 'Sum', 'deferred'),
        own('DeliveriesDropped', 'Sum', 'dropped'),
      ]),
      graph('Delivery latency (ms)', [own('DeliveryLatency', 'p50', 'p50'), own('DeliveryLatency', 'p99', 'p99')]),
    );
    this.dashboard.addWidgets(
      graph('Backlog age (s)', [
        props.deliveryQueue.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum', label: 'delivery queue, oldest' }),
        own('OfflineQueueOldestAge', 'Maximum', 'offline queue, oldest at drain'),
      ]),
      graph('Queue depth', [
        props.deliveryQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum', label: 'delivery queue' }),
        own('OfflineQueuePending', 'Maximum', 'offline queue at drain'),
      ]),
      graph('Dead-letter queues', [
        props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum', label: 'deliveries DLQ' }),
        props.notificationDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum', label: 'notifications DLQ' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'Throttles (per 5 min)',
        [
          sumOf('throttles', 'Lambda throttles', props.functions.map((fn) => fn.metricThrottles({ period })), period),
          sumOf('tables', 'DynamoDB throttle events', props.tables.flatMap((t) => [t.metric('ReadThrottleEvents', { period, statistic: 'Sum' }), t.metric('WriteThrottleEvents', { period, statistic: 'Sum' })]), period),
          props.api.metricClientError({ period, label: 'API 4xx (429 included)' }),
        ],
        [LambdaFunction.metricAllConcurrentExecutions({ period, statistic: 'Maximum', label: 'concurrent executions (account)' })],
      ),
      graph('Errors (per 5 min)', [
        sumOf('errors', 'Lambda errors', props.functions.map((fn) => fn.metricErrors({ period })), period),
        props.api.metricServerError({ period, label: 'API 5xx' }),
        props.scheduleGroup.metricTargetErrors({ period, label: 'Scheduler target errors' }),
        props.scheduleGroup.metricDropped({ period, label: 'Scheduler dropped' }),
      ]),
      graph('API', [props.api.metricCount({ period, label: 'requests' })], [props.api.metricLatency({ period, statistic: 'p50', label: 'latency p50' }), props.api.metricLatency({ period, statistic: 'p99', label: 'latency p99' })]),
    );
  }
}
