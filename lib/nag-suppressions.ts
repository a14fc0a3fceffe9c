import type { CfnEventSourceMapping, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { NagSuppressions, type NagPackSuppression } from 'cdk-nag';
import type { EventHubStack } from './event-hub-stack';

/**
 * The cdk-nag findings (AwsSolutions and Serverless packs) this stack keeps on purpose, each on
 * the resource it is about, with its reason. Nothing is suppressed stack-wide: a new resource,
 * a new wildcard or a new function is checked from scratch. test/infra/cdk-nag.test.ts fails
 * on any finding not listed here.
 */
export function suppressNagFindings(stack: EventHubStack): void {
  const { service, storage, alarms } = stack;
  const on = (construct: Parameters<typeof NagSuppressions.addResourceSuppressions>[0], suppressions: NagPackSuppression[], children = false) =>
    NagSuppressions.addResourceSuppressions(construct, suppressions, children);

  // The HTTP API's routes (the API and its route children only).
  on(
    service.api,
    [
      {
        id: 'AwsSolutions-APIG4',
        reason:
          'The REST routes authenticate in the function, with the Bitrix24 protocol (OAuth access tokens, incoming-webhook secrets) that clients such as b24jssdk speak; /oauth/token authenticates the client secret; the /rest fallback only redirects. The producer route uses IAM.',
      },
    ],
    true,
  );

  // Every function: its role's policy, and the function itself. (Roles carry no managed
  // policy: each may write only its own log group, lib/service-function.ts.)
  const indexes = { regex: '/^Resource::<Storage(Bindings|Journal)Table[0-9A-F]+\\.Arn>\\/index\\/\\*$/g' };
  for (const fn of service.functions) {
    on(
      fn.role!,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            "X-Ray's PutTraceSegments and PutTelemetryRecords have no resource-level permissions (Resource::*, added by active tracing); a DynamoDB grant on a table with secondary indexes (bindings, journal) covers that table's own indexes (<table>/index/*).",
          appliesTo: ['Resource::*', indexes],
        },
      ],
      true,
    );
    on(fn, [{ id: 'Serverless-LambdaDLQ', reason: dlqReason(fn, stack) }]);
  }

  // Publish, and the delivery worker for a push that falls back to pull, create one-time
  // schedules with per-binding, per-window names inside this stage's group.
  for (const fn of [service.publish, service.deliver]) {
    on(
      fn.role!,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason: "Creates the trailing ONOFFLINEEVENT schedules, whose names are per binding and window, inside this stage's schedule group only (schedule/<group>/*).",
          appliesTo: [{ regex: '/^Resource::arn:<AWS::Partition>:scheduler:.+:schedule\\/[^/]+\\/\\*$/g' }],
        },
      ],
      true,
    );
  }
  const schedulerRole = service.node.findChild('SchedulerRole');
  on(
    schedulerRole,
    [
      {
        id: 'AwsSolutions-IAM5',
        reason: "Invoking the notifier covers its versions and aliases (<function>:*), as Lambda's grantInvoke writes it; the role may invoke nothing else.",
        appliesTo: [{ regex: '/^Resource::<ServiceNotify[0-9A-F]+\\.Arn>:\\*$/g' }],
      },
    ],
    true,
  );

  // The delivery worker's SQS event source.
  const mapping = service.deliver.node.children.find((c) => c.node.id.startsWith('SqsEventSource')) as CfnEventSourceMapping | undefined;
  if (mapping)
    on(mapping, [
      {
        id: 'Serverless-LambdaEventSourceMappingDestination',
        reason:
          'On-failure destinations exist only for stream and Kafka sources; for an SQS source the queue\'s redrive policy is the failure path: a message the worker keeps failing goes to the deliveries dead-letter queue after 5 receives (alarmed on).',
      },
    ]);

  // The dead-letter queues themselves.
  for (const dlq of [storage.deadLetterQueue, storage.notificationDeadLetterQueue]) {
    on(dlq, [{ id: 'Serverless-SQSRedrivePolicy', reason: 'This queue is itself a dead-letter queue (the end of the failure path), watched by an alarm; a DLQ of a DLQ would only move the problem.' }]);
  }
  on(storage.notificationDeadLetterQueue, [
    {
      id: 'AwsSolutions-SQS3',
      reason: "This queue is a dead-letter queue, of EventBridge Scheduler's notifier target and of the notifier's asynchronous invocations (on-failure destination); cdk-nag recognises only queues that are another SQS queue's DLQ.",
    },
  ]);

  // Subscriptions of the alarm topic (e-mail).
  for (const child of alarms.topic.node.children) {
    if (child.node.id === 'Policy' || child.node.id === 'Resource') continue;
    on(child, [
      {
        id: 'Serverless-SNSRedrivePolicy',
        reason: 'An alarm e-mail SNS cannot deliver is not lost information: the alarm stays in ALARM in CloudWatch and on the dashboard, and SNS records the failure in its NumberOfNotificationsFailed metric.',
      },
    ]);
  }

  // The optional front.
  if (service.front) {
    on(service.front.distribution, [
      { id: 'AwsSolutions-CFR1', reason: 'Bitrix24 portals and their applications are anywhere: the service has no country to refuse.' },
      {
        id: 'AwsSolutions-CFR3',
        reason:
          'Every request CloudFront forwards is in the API access log (JSON, route, status, latency); what the web ACL blocks is counted in its CloudWatch metrics with sampled requests. CloudFront standard logs would need an S3 bucket with ACLs for the same information.',
      },
    ]);
  }

}

/** Why a function has no dead-letter queue of its own: where its failures go instead. */
function dlqReason(fn: LambdaFunction, stack: EventHubStack): string {
  if (fn === stack.service.deliver) return 'Invoked by its SQS event source, not asynchronously: a failed record returns to the delivery queue and, after 5 receives, goes to its dead-letter queue.';
  if (fn === stack.service.notifier)
    return 'Invoked asynchronously by EventBridge Scheduler: an invocation that fails after Lambda\'s 2 retries goes to the notification dead-letter queue through its on-failure destination (the newer form of a function DLQ); Scheduler parks what it cannot invoke in the same queue.';
  return 'Invoked synchronously by API Gateway: the caller receives the failure (Bitrix error envelope or 5xx) and retries; a function dead-letter queue applies only to asynchronous invocations.';
}
