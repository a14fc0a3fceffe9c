import { ConflictException, CreateScheduleCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import type { TrailingNotification } from '../../domain/offline-notification';
import type { NotificationScheduler } from '../../domain/ports';

export interface EventBridgeTarget {
  /** The schedule group of this stage. */
  groupName: string;
  /** The notifier Lambda's ARN. */
  notifierArn: string;
  /** The role EventBridge Scheduler assumes; it may invoke only the notifier. */
  roleArn: string;
  /** The SQS queue where Scheduler parks an invocation it could not make (the target's dead-letter queue). */
  deadLetterArn?: string;
}

/** `at(yyyy-mm-ddThh:mm:ss)` in UTC, rounded up to the next whole second (Scheduler's granularity). */
export function atExpression(ms: number): string {
  return `at(${new Date(Math.ceil(ms / 1000) * 1000).toISOString().slice(0, 19)})`;
}

/**
 * One-time EventBridge Scheduler schedules that invoke the notifier with the trailing
 * notification as input, and delete themselves after running. The name is idempotent:
 * creating a schedule that exists is a ConflictException, taken as "already scheduled".
 * An invocation Scheduler still cannot make after its retries goes to the dead-letter queue
 * (alarmed on, docs/operations.md) instead of being dropped.
 */
export class EventBridgeNotificationScheduler implements NotificationScheduler {
  constructor(
    private readonly scheduler: SchedulerClient,
    private readonly target: EventBridgeTarget,
  ) {}

  async scheduleAt(name: string, at: number, input: TrailingNotification): Promise<void> {
    try {
      await this.scheduler.send(
        new CreateScheduleCommand({
          Name: name,
          GroupName: this.target.groupName,
          ScheduleExpression: atExpression(at),
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Target: {
            Arn: this.target.notifierArn,
            RoleArn: this.target.roleArn,
            Input: JSON.stringify(input),
            RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
            ...(this.target.deadLetterArn ? { DeadLetterConfig: { Arn: this.target.deadLetterArn } } : {}),
          },
        }),
      );
    } catch (error) {
      if (error instanceof ConflictException) return;
      throw error;
    }
  }
}
