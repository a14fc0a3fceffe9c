import { DynamoScheduleStore } from '../../lambdas/adapters/dynamo/schedule-store';
import { EventBridgeNotificationScheduler } from '../../lambdas/adapters/scheduler/eventbridge-scheduler';
import { parseConfig } from '../../lambdas/config';
import { notificationScheduler } from '../../lambdas/composition';

const base = {
  TABLE_REGISTRY: 'r',
  TABLE_BINDINGS: 'b',
  TABLE_JOURNAL: 'j',
  TABLE_DELIVERIES: 'd',
  DELIVERY_QUEUE_URL: 'https://sqs.eu-central-1.amazonaws.com/1/q',
  DELIVERY_DLQ_URL: 'https://sqs.eu-central-1.amazonaws.com/1/dlq',
  PUBLIC_URL: 'https://api.example.com/',
  SCHEDULE_GROUP: 'g',
  NOTIFIER_ARN: 'arn:aws:lambda:eu-central-1:1:function:notify',
  SCHEDULER_ROLE_ARN: 'arn:aws:iam::1:role/scheduler',
};

describe('parseConfig', () => {
  it('fills defaults and trims the public URL', () => {
    const config = parseConfig(base);
    expect(config).toMatchObject({ PUBLIC_URL: 'https://api.example.com', ACCESS_TOKEN_TTL_SECONDS: 3600, PRODUCER_AUTH: 'iam', CLAIM_LIFETIME_SECONDS: 86400, JOURNAL_RETENTION_DAYS: 30, JOURNAL_QUEUE_MAX_RECORDS: 1_000_000, JOURNAL_TRIM_INTERVAL_SECONDS: 3600 });
    // Deployed defaults for delivery: Bitrix24's behaviour (no retry, 10 s), the SSRF guard on.
    expect(config).toMatchObject({ DELIVERY_TIMEOUT_MS: 10_000, DELIVERY_RETRIES: 0, DELIVERY_FORMAT: 'form', HANDLER_ALLOW_PRIVATE: false });
    expect(parseConfig({ ...base, HANDLER_ALLOW_PRIVATE: '1' }).HANDLER_ALLOW_PRIVATE).toBe(true);
  });

  it('fails fast naming the missing variable', () => {
    expect(() => parseConfig({ ...base, TABLE_JOURNAL: undefined })).toThrow(/TABLE_JOURNAL/);
    expect(() => parseConfig({ ...base, ACCESS_TOKEN_TTL_SECONDS: 'soon' })).toThrow(/ACCESS_TOKEN_TTL_SECONDS/);
  });

  it('needs the schedule group, notifier and role only where EventBridge Scheduler is used', () => {
    expect(() => notificationScheduler(parseConfig({ ...base, NOTIFIER_ARN: undefined }))).toThrow(/NOTIFIER_ARN/);
    expect(notificationScheduler(parseConfig(base))).toBeInstanceOf(EventBridgeNotificationScheduler);
    expect(notificationScheduler(parseConfig({ ...base, SCHEDULER: 'dynamodb', NOTIFIER_ARN: undefined }))).toBeInstanceOf(DynamoScheduleStore);
  });

  it('needs a producer key when producers authenticate with one', () => {
    expect(() => parseConfig({ ...base, PRODUCER_AUTH: 'key' })).toThrow(/PRODUCER_KEY/);
    expect(parseConfig({ ...base, PRODUCER_AUTH: 'key', PRODUCER_KEY: 'k'.repeat(16) }).PRODUCER_KEY).toBe('k'.repeat(16));
  });
});
