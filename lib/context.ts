import type { EventHubStackProps } from './event-hub-stack';
import type { Throttle } from './service';

/**
 * The CDK context keys an operator passes (`-c key=value`, or cdk.json), read and checked
 * in one place. A value that is present but wrong fails the synth with the key's name.
 * docs/operations.md lists every key.
 */
export const CONTEXT_KEYS = [
  'stage',
  'development',
  'alarmEmail',
  'concurrencyAlarmThreshold',
  'claimLifetimeSeconds',
  'deliveryRetries',
  'deliverySwitchOffSeconds',
  'handlerAllowPrivate',
  'rateLimitPerSecond',
  'rateLimitBurst',
  'apiRateLimit',
  'apiBurstLimit',
  'producerRateLimit',
  'producerBurstLimit',
  'oauthRateLimit',
  'oauthBurstLimit',
  'front',
  'domainName',
  'certificateArn',
  'webAclArn',
  'edgeRatePer5Minutes',
] as const;

type Key = (typeof CONTEXT_KEYS)[number];

export function settingsFromContext(get: (key: string) => unknown): Omit<EventHubStackProps, 'env'> {
  const raw = (key: Key): string | undefined => {
    const value = get(key);
    return value === undefined || value === null || value === '' ? undefined : String(value);
  };
  const flag = (key: Key): boolean => {
    const value = raw(key);
    if (value === undefined) return false;
    if (['1', 'true', 'yes'].includes(value)) return true;
    if (['0', 'false', 'no'].includes(value)) return false;
    throw new Error(`Context ${key}=${value}: expected true or false`);
  };
  const number = (key: Key, min: number): number | undefined => {
    const value = raw(key);
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isFinite(n) || n < min) throw new Error(`Context ${key}=${value}: expected a number ≥ ${min}`);
    return n;
  };
  const throttle = (rateKey: Key, burstKey: Key): Throttle | undefined => {
    const rate = number(rateKey, 1);
    const burst = number(burstKey, 1);
    if (rate === undefined && burst === undefined) return undefined;
    if (rate === undefined || burst === undefined) throw new Error(`Context ${rateKey} and ${burstKey} go together`);
    return { rate, burst };
  };
  const stage = raw('stage') ?? 'dev';
  if (!/^[A-Za-z0-9-]{1,32}$/.test(stage)) throw new Error(`Context stage=${stage}: letters, digits and "-" only (it names the stack, alarms and dashboard)`);
  const alarmEmail = raw('alarmEmail');
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail)) throw new Error(`Context alarmEmail=${alarmEmail}: not an e-mail address`);
  const frontKeys = ['domainName', 'certificateArn', 'webAclArn', 'edgeRatePer5Minutes'] as const;
  const front = flag('front');
  if (!front && frontKeys.some((k) => raw(k) !== undefined)) throw new Error(`Context ${frontKeys.filter((k) => raw(k) !== undefined).join(', ')} need front=true`);
  const throttles = {
    rest: throttle('apiRateLimit', 'apiBurstLimit'),
    producer: throttle('producerRateLimit', 'producerBurstLimit'),
    oauth: throttle('oauthRateLimit', 'oauthBurstLimit'),
  };
  const optional = <T>(key: string, value: T | undefined) => (value === undefined ? {} : { [key]: value });
  return {
    stage,
    development: flag('development'),
    handlerAllowPrivate: flag('handlerAllowPrivate'),
    ...optional('alarmEmail', alarmEmail),
    ...optional('concurrencyAlarmThreshold', number('concurrencyAlarmThreshold', 1)),
    ...optional('claimLifetimeSeconds', number('claimLifetimeSeconds', 1)),
    ...optional('deliveryRetries', number('deliveryRetries', 0)),
    ...optional('deliverySwitchOffSeconds', number('deliverySwitchOffSeconds', 1)),
    ...optional('rateLimitPerSecond', number('rateLimitPerSecond', 0)),
    ...optional('rateLimitBurst', number('rateLimitBurst', 1)),
    throttle: Object.fromEntries(Object.entries(throttles).filter(([, t]) => t !== undefined)),
    ...(front
      ? {
          front: {
            ...optional('domainName', raw('domainName')),
            ...optional('certificateArn', raw('certificateArn')),
            ...optional('webAclArn', raw('webAclArn')),
            ...optional('ratePerIpPer5Minutes', number('edgeRatePer5Minutes', 10)),
          },
        }
      : {}),
  };
}
