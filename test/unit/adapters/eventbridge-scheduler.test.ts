import { ConflictException, CreateScheduleCommand, SchedulerClient, ValidationException } from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { atExpression, EventBridgeNotificationScheduler } from '../../../lambdas/adapters/scheduler/eventbridge-scheduler';
import { trailingScheduleName } from '../../../lambdas/domain/offline-notification';

/** EventBridge Scheduler cannot run locally: its adapter is checked against a mocked client. */
const scheduler = mockClient(SchedulerClient);
const target = { groupName: 'b24-event-hub-dev', notifierArn: 'arn:aws:lambda:eu-central-1:123456789012:function:notify', roleArn: 'arn:aws:iam::123456789012:role/scheduler' };
const input = { memberId: 'a'.repeat(32), clientId: 'local.app', bindingId: 7, windowEnd: Date.UTC(2026, 10, 23, 21, 0, 5, 250) };

beforeEach(() => scheduler.reset());

describe('EventBridgeNotificationScheduler', () => {
  it('creates a one-time schedule at the window’s end that invokes the notifier and deletes itself', async () => {
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:aws:scheduler:…' });
    const name = trailingScheduleName({ memberId: input.memberId, id: 7 }, input.windowEnd);
    await new EventBridgeNotificationScheduler(new SchedulerClient({ region: 'eu-central-1' }), target).scheduleAt(name, input.windowEnd, input);
    const calls = scheduler.commandCalls(CreateScheduleCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      Name: name,
      GroupName: 'b24-event-hub-dev',
      ScheduleExpression: 'at(2026-11-23T21:00:06)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: { Arn: target.notifierArn, RoleArn: target.roleArn, Input: JSON.stringify(input), RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 } },
    });
  });

  it('gives the target the dead-letter queue when the stage has one, so a failed invocation is parked, not dropped', async () => {
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:aws:scheduler:…' });
    const deadLetterArn = 'arn:aws:sqs:eu-central-1:123456789012:notification-dlq';
    await new EventBridgeNotificationScheduler(new SchedulerClient({ region: 'eu-central-1' }), { ...target, deadLetterArn }).scheduleAt('n', input.windowEnd, input);
    expect(scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input.Target).toEqual({
      Arn: target.notifierArn,
      RoleArn: target.roleArn,
      Input: JSON.stringify(input),
      RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
      DeadLetterConfig: { Arn: deadLetterArn },
    });
  });

  it('names a schedule by binding and window only, within Scheduler’s 64 characters', () => {
    const a = trailingScheduleName({ memberId: input.memberId, id: 7 }, input.windowEnd);
    expect(a).toBe(trailingScheduleName({ memberId: input.memberId, id: 7 }, input.windowEnd));
    expect(a).not.toBe(trailingScheduleName({ memberId: input.memberId, id: 8 }, input.windowEnd));
    expect(a).not.toBe(trailingScheduleName({ memberId: input.memberId, id: 7 }, input.windowEnd + 1000));
    expect(a).toMatch(/^[0-9a-zA-Z._-]{1,64}$/);
  });

  it('takes a ConflictException as "already scheduled" and passes other errors on', async () => {
    const adapter = new EventBridgeNotificationScheduler(new SchedulerClient({ region: 'eu-central-1' }), target);
    scheduler.on(CreateScheduleCommand).rejects(new ConflictException({ message: 'Schedule already exists', Message: 'Schedule already exists', $metadata: {} }));
    await expect(adapter.scheduleAt('n', input.windowEnd, input)).resolves.toBeUndefined();
    scheduler.on(CreateScheduleCommand).rejects(new ValidationException({ message: 'bad', Message: 'bad', $metadata: {} }));
    await expect(adapter.scheduleAt('n', input.windowEnd, input)).rejects.toThrow('bad');
  });

  it('rounds the time up to Scheduler’s whole seconds, in UTC', () => {
    expect(atExpression(Date.UTC(2026, 0, 2, 3, 4, 5, 0))).toBe('at(2026-01-02T03:04:05)');
    expect(atExpression(Date.UTC(2026, 0, 2, 3, 4, 5, 1))).toBe('at(2026-01-02T03:04:06)');
  });
});
