import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, MathExpression, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, MetricFilter, type ILogGroup } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface AlarmsProps {
  stage: string;
  api: HttpApi;
  functions: IFunction[];
  deadLetterQueue: Queue;
  deliveryQueue: Queue;
  /** The delivery worker's log group: delivery outcomes are counted from its log lines. */
  deliveryLogs: ILogGroup;
}

/**
 * What pages an operator, all on one SNS topic (subscribe to it after deploying):
 * - DLQ depth: any message parked (exhausted retries or poison);
 * - delivery queue backlog: its oldest message has waited 5 minutes or more (deferred and
 *   retried deliveries wait up to 15 minutes on purpose, so this looks at 3 periods in a row);
 * - delivery failures: more than half of at least 20 attempts failed in 15 minutes;
 * - each function's errors and throttles;
 * - the API's 5xx answers (5 or more in 5 minutes).
 */
export class Alarms extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    this.topic = new Topic(this, 'Topic', { displayName: `b24-event-hub ${props.stage} alarms`, enforceSSL: true });
    const action = new SnsAction(this.topic);
    const alarm = (name: string, metric: IMetric, threshold: number, description: string, periods = 1) => {
      const created = new Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods: periods,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      created.addAlarmAction(action);
      this.alarms.push(created);
      return created;
    };

    alarm('DeliveryQueueBacklog', props.deliveryQueue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }), 300, 'Deliveries wait in the queue for 5 minutes or more: the delivery worker is failing, throttled or too slow (see its errors and DeliveryLatency)', 3);
    alarm('DeadLetterQueueDepth', props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }), 1, 'Deliveries parked in the dead-letter queue: look at their reason attribute, fix, redrive');

    // Delivery outcomes from the worker's structured log lines (message "delivery").
    const namespace = `b24-event-hub/${props.stage}`;
    const counted = (name: string, kinds: string[]) =>
      new MetricFilter(this, `${name}Filter`, {
        logGroup: props.deliveryLogs,
        metricNamespace: namespace,
        metricName: name,
        filterPattern: FilterPattern.any(...kinds.map((kind) => FilterPattern.all(FilterPattern.stringValue('$.message', '=', 'delivery'), FilterPattern.stringValue('$.outcome.kind', '=', kind)))),
        metricValue: '1',
        defaultValue: 0,
      }).metric({ statistic: 'Sum', period: Duration.minutes(15) });
    const failures = counted('DeliveryFailures', ['failed']);
    const attempts = counted('DeliveryAttempts', ['failed', 'delivered']);
    alarm(
      'DeliveryFailureRate',
      new MathExpression({ expression: 'IF(attempts >= 20, 100 * failures / attempts, 0)', usingMetrics: { failures, attempts }, period: Duration.minutes(15), label: 'failed deliveries, %' }),
      50,
      'More than half of the online deliveries failed in 15 minutes (at least 20 attempts): handlers down, or the address guard refusing them',
    );

    props.functions.forEach((fn, i) => {
      const name = fn.node.id;
      alarm(`Errors${i}${name}`, fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), 1, `${name}: invocations failed (see its log group, level ERROR)`);
      alarm(`Throttles${i}${name}`, fn.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }), 1, `${name}: throttled by Lambda concurrency`);
    });

    alarm('Api5xx', props.api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }), 5, 'The API answered 5xx five times or more in 5 minutes');
  }
}
