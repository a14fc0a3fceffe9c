import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, MathExpression, Metric, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, MetricFilter, type ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface AlarmsProps {
  stage: string;
  /** The stage's own metrics (lib/service.ts metricNamespace) and their `service` dimension. */
  namespace: string;
  service: string;
  api: HttpApi;
  functions: LambdaFunction[];
  tables: Table[];
  deadLetterQueue: Queue;
  deliveryQueue: Queue;
  notificationDeadLetterQueue: Queue;
  scheduleGroup: ScheduleGroup;
  /** The delivery worker's log group: delivery outcomes are counted from its log lines. */
  deliveryLogs: ILogGroup;
  /** Subscribed to the topic by e-mail (the address confirms once). */
  alarmEmail?: string;
  /** Account-wide concurrent executions that page (Lambda's default quota is 1,000). */
  concurrencyThreshold?: number;
}

/** The thresholds, in one place: docs/operations.md lists each alarm with these figures. */
export const THRESHOLDS = {
  deliveryBacklogSeconds: 300,
  deliveryFailurePercent: 50,
  functionErrorPercent: 5,
  functionErrorsMin: 5,
  functionThrottles: 5,
  durationOfTimeoutPercent: 80,
  concurrentExecutions: 800,
  tableThrottleEvents: 10,
  api5xx: 5,
  apiLatencyP99Ms: 5000,
  offlineOldestAgeSeconds: 86_400,
  schedulerTargetErrors: 5,
} as const;

interface AlarmSpec {
  metric: IMetric;
  threshold: number;
  description: string;
  /** Periods looked at, and how many of them must breach (default: all). */
  periods?: number;
  breaching?: number;
}

/**
 * What pages an operator, all on one SNS topic, with OK actions (the same topic hears when it
 * is over). `alarmEmail` subscribes an address; any other subscription (chat, pager) is added
 * to the topic (output AlarmTopicArn). Every alarm and its threshold is in docs/operations.md.
 */
export class Alarms extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    this.topic = new Topic(this, 'Topic', { displayName: `b24-event-hub ${props.stage} alarms`, enforceSSL: true });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    const action = new SnsAction(this.topic);
    const T = THRESHOLDS;
    const minutes = (n: number) => Duration.minutes(n);
    const alarm = (name: string, spec: AlarmSpec) => {
      const periods = spec.periods ?? 1;
      const created = new Alarm(this, name, {
        alarmName: `b24-event-hub-${props.stage}-${name}`,
        metric: spec.metric,
        threshold: spec.threshold,
        evaluationPeriods: periods,
        datapointsToAlarm: spec.breaching ?? periods,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: spec.description,
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
      this.alarms.push(created);
      return created;
    };

    // Queues.
    alarm('DeliveryQueueBacklog', {
      metric: props.deliveryQueue.metricApproximateAgeOfOldestMessage({ period: minutes(5), statistic: 'Maximum' }),
      threshold: T.deliveryBacklogSeconds,
      periods: 3,
      description: 'Deliveries wait in the queue for 5 minutes or more, 15 minutes running (retries and deferrals wait up to 15 minutes on purpose): the delivery worker is failing, throttled or too slow',
    });
    alarm('DeadLetterQueueDepth', {
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: minutes(5), statistic: 'Maximum' }),
      threshold: 1,
      description: 'Deliveries parked in the dead-letter queue: read their reason attribute, fix, redrive (docs/operations.md)',
    });
    alarm('NotificationDeadLetterQueueDepth', {
      metric: props.notificationDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: minutes(5), statistic: 'Maximum' }),
      threshold: 1,
      description: 'ONOFFLINEEVENT trailing notifications that EventBridge Scheduler or the notifier could not make: read them, fix, replay (docs/operations.md)',
    });

    // Delivery outcomes from the worker's structured log lines (message "delivery").
    const counted = (name: string, kinds: string[]) =>
      new MetricFilter(this, `${name}Filter`, {
        logGroup: props.deliveryLogs,
        metricNamespace: props.namespace,
        metricName: name,
        filterPattern: FilterPattern.any(...kinds.map((kind) => FilterPattern.all(FilterPattern.stringValue('$.message', '=', 'delivery'), FilterPattern.stringValue('$.outcome.kind', '=', kind)))),
        metricValue: '1',
        defaultValue: 0,
      }).metric({ statistic: 'Sum', period: minutes(15) });
    const failures = counted('DeliveryFailures', ['failed']);
    const attempts = counted('DeliveryAttempts', ['failed', 'delivered']);
    alarm('DeliveryFailureRate', {
      metric: new MathExpression({ expression: 'IF(attempts >= 20, 100 * failures / attempts, 0)', usingMetrics: { failures, attempts }, period: minutes(15), label: 'failed deliveries, %' }),
      threshold: T.deliveryFailurePercent,
      description: 'More than half of the online deliveries failed in 15 minutes (at least 20 attempts): handlers down, or the address guard refusing them',
    });

    // Each function: error rate, throttles, duration near its timeout.
    props.functions.forEach((fn, i) => {
      const name = `${i}${fn.node.id}`;
      const errors = fn.metricErrors({ period: minutes(5), statistic: 'Sum' });
      const invocations = fn.metricInvocations({ period: minutes(5), statistic: 'Sum' });
      alarm(`Errors${name}`, {
        metric: new MathExpression({ expression: `IF(errors >= ${T.functionErrorsMin}, 100 * errors / invocations, 0)`, usingMetrics: { errors, invocations }, period: minutes(5), label: `${fn.node.id} errors, %` }),
        threshold: T.functionErrorPercent,
        periods: 3,
        breaching: 2,
        description: `${fn.node.id}: 5 or more failed invocations and at least 5% of them, in 2 of the last 3 five-minute periods (see its log group, level ERROR)`,
      });
      alarm(`Throttles${name}`, {
        metric: fn.metricThrottles({ period: minutes(5), statistic: 'Sum' }),
        threshold: T.functionThrottles,
        description: `${fn.node.id}: throttled 5 times or more in 5 minutes (account concurrency exhausted?)`,
      });
      const timeoutMs = fn.timeout?.toMilliseconds() ?? 3000;
      alarm(`Duration${name}`, {
        metric: fn.metricDuration({ period: minutes(5), statistic: 'p99' }),
        threshold: Math.round((timeoutMs * T.durationOfTimeoutPercent) / 100),
        periods: 3,
        description: `${fn.node.id}: p99 duration at 80% of its ${timeoutMs / 1000} s timeout for 15 minutes: a dependency is slow, or the function needs more memory or time`,
      });
    });
    alarm('ConcurrentExecutions', {
      metric: LambdaFunction.metricAllConcurrentExecutions({ period: minutes(5), statistic: 'Maximum' }),
      threshold: props.concurrencyThreshold ?? T.concurrentExecutions,
      periods: 2,
      description: 'Concurrent Lambda executions of the whole account near its quota for 10 minutes: throttling is next (raise the quota, or find the flood)',
    });

    // DynamoDB throttles, per table (read and write, the table and its indexes).
    props.tables.forEach((table, i) => {
      const read = table.metric('ReadThrottleEvents', { period: minutes(5), statistic: 'Sum' });
      const write = table.metric('WriteThrottleEvents', { period: minutes(5), statistic: 'Sum' });
      alarm(`TableThrottles${i}${table.node.id}`, {
        metric: new MathExpression({ expression: 'read + write', usingMetrics: { read, write }, period: minutes(5), label: `${table.node.id} throttle events` }),
        threshold: T.tableThrottleEvents,
        periods: 2,
        description: `${table.node.id}: 10 or more throttled requests in each of two 5-minute periods (a hot partition, or the on-demand table doubling its capacity)`,
      });
    });

    // The API.
    alarm('Api5xx', {
      metric: props.api.metricServerError({ period: minutes(5), statistic: 'Sum' }),
      threshold: T.api5xx,
      periods: 3,
      breaching: 2,
      description: 'The API answered 5xx five times or more in 2 of the last 3 five-minute periods (see the access logs: integrationError)',
    });
    alarm('ApiLatency', {
      metric: props.api.metricLatency({ period: minutes(5), statistic: 'p99' }),
      threshold: T.apiLatencyP99Ms,
      periods: 3,
      description: 'The API’s p99 latency is 5 s or more for 15 minutes',
    });

    // Offline queues: the oldest pending record an application found when it drained its queue.
    alarm('OfflineQueueOldestAge', {
      metric: new Metric({ namespace: props.namespace, metricName: 'OfflineQueueOldestAge', dimensionsMap: { service: props.service }, period: Duration.hours(1), statistic: 'Maximum' }),
      threshold: T.offlineOldestAgeSeconds,
      description: 'An application drained an offline queue whose oldest record waited a day or more: it drains too rarely or too little (event.offline.get limit)',
    });

    // EventBridge Scheduler (trailing ONOFFLINEEVENT notifications).
    alarm('SchedulerDropped', {
      metric: props.scheduleGroup.metricDropped({ period: minutes(5), statistic: 'Sum' }),
      threshold: 1,
      description: 'EventBridge Scheduler dropped a trailing notification after its retries (and could not park it in the dead-letter queue)',
    });
    alarm('SchedulerTargetErrors', {
      metric: props.scheduleGroup.metricTargetErrors({ period: minutes(15), statistic: 'Sum' }),
      threshold: T.schedulerTargetErrors,
      description: 'EventBridge Scheduler failed to invoke the notifier 5 times or more in 15 minutes (throttled, or its role changed)',
    });
  }
}
