import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { DynamoScheduleStore } from '../adapters/dynamo/schedule-store';
import { EventBridgeNotificationScheduler } from '../adapters/scheduler/eventbridge-scheduler';
import { traceAwsCalls } from '../adapters/tracing';
import type { Config } from '../config';
import type { NotificationScheduler } from '../domain/ports';
import { provideOutbound } from '../wiring';

/**
 * Importing this module hands the wiring the scheduler of trailing ONOFFLINEEVENT notifications
 * (see `Outbound` in wiring.ts). Built on first use: only publish schedules, and the notifier
 * cannot carry its own ARN in its environment.
 */
export function notificationScheduler(cfg: Config, db: DynamoDBDocumentClient): NotificationScheduler {
  if (cfg.SCHEDULER === 'dynamodb') return new DynamoScheduleStore(db, cfg.TABLE_DELIVERIES);
  if (!cfg.SCHEDULE_GROUP || !cfg.NOTIFIER_ARN || !cfg.SCHEDULER_ROLE_ARN) {
    throw new Error('Invalid configuration: SCHEDULE_GROUP, NOTIFIER_ARN and SCHEDULER_ROLE_ARN are required to schedule with EventBridge Scheduler');
  }
  return new EventBridgeNotificationScheduler(traceAwsCalls(new SchedulerClient({ region: cfg.AWS_REGION }), 'Scheduler'), {
    groupName: cfg.SCHEDULE_GROUP,
    notifierArn: cfg.NOTIFIER_ARN,
    roleArn: cfg.SCHEDULER_ROLE_ARN,
    ...(cfg.SCHEDULER_DLQ_ARN ? { deadLetterArn: cfg.SCHEDULER_DLQ_ARN } : {}),
  });
}

provideOutbound({ scheduler: notificationScheduler });
