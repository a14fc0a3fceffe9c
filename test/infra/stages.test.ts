import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { settingsFromContext } from '../../lib/context';
import { EventHubStack, type EventHubStackProps } from '../../lib/event-hub-stack';
import { greaterThanPattern } from '../../lib/front';

/** Stacks for the checks below, without bundling the functions (their code does not matter here). */
const app = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const synth = (props: EventHubStackProps, id = 'S') => Template.fromStack(new EventHubStack(app(), id, props));
const US_EAST_1 = { account: '123456789012', region: 'us-east-1' };

describe('two stages side by side', () => {
  it('synthesizes two stages in one app with nothing named alike: stacks, alarms, dashboards, metrics, tables', () => {
    // Protects "stages deploy side by side" in one account (issue 19 §9).
    const shared = app();
    const prodStack = new EventHubStack(shared, 'b24-event-hub-prod', { stage: 'prod', alarmEmail: 'ops@example.com' });
    const devStack = new EventHubStack(shared, 'b24-event-hub-dev', { stage: 'dev', development: true, handlerAllowPrivate: true });
    const prod = Template.fromStack(prodStack);
    const dev = Template.fromStack(devStack);
    const names = (t: Template) => [
      ...Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties.AlarmName as string),
      ...Object.values(t.findResources('AWS::CloudWatch::Dashboard')).map((d) => d.Properties.DashboardName as string),
    ];
    const prodNames = names(prod);
    const devNames = names(dev);
    expect(prodNames.length).toBeGreaterThan(40);
    expect(prodNames.filter((n) => devNames.includes(n))).toEqual([]);
    for (const t of [prod, dev]) for (const table of Object.values(t.findResources('AWS::DynamoDB::Table'))) expect(table.Properties.TableName).toBeUndefined();
    const namespaces = (t: Template) => new Set(Object.values(t.findResources('AWS::Lambda::Function')).map((f) => f.Properties.Environment?.Variables?.POWERTOOLS_METRICS_NAMESPACE).filter(Boolean));
    expect([...namespaces(prod)]).toEqual(['b24-event-hub/prod']);
    expect([...namespaces(dev)]).toEqual(['b24-event-hub/dev']);
    // Only prod has the e-mail subscription; only the development stage switched the guard off.
    prod.resourceCountIs('AWS::SNS::Subscription', 1);
    dev.resourceCountIs('AWS::SNS::Subscription', 0);
    const guard = (t: Template) => new Set(Object.values(t.findResources('AWS::Lambda::Function')).map((f) => f.Properties.Environment?.Variables?.HANDLER_ALLOW_PRIVATE).filter(Boolean));
    expect([...guard(prod)]).toEqual(['0']);
    expect([...guard(dev)]).toEqual(['1']);
  });
});

describe('the address guard', () => {
  it('cannot be switched off outside a stage marked for development: the synth stops with the reason', () => {
    // Protects SPEC §6: deliveries to private and metadata addresses stay refused in deployed stages.
    expect(() => new EventHubStack(app(), 'P', { stage: 'prod', handlerAllowPrivate: true })).toThrow(/handlerAllowPrivate.*only on a stage marked for development \(-c development=true\)/);
    expect(() => settingsFromContext((k) => ({ stage: 'prod', handlerAllowPrivate: 'true' })[k])).not.toThrow();
    expect(() => new EventHubStack(app(), 'P', settingsFromContext((k) => ({ stage: 'prod', handlerAllowPrivate: 'true' })[k]))).toThrow(/development/);
    expect(() => new EventHubStack(app(), 'D', settingsFromContext((k) => ({ stage: 'sandbox', development: 'true', handlerAllowPrivate: '1' })[k]))).not.toThrow();
  });
});

describe('source maps at start', () => {
  it('are not applied unless the stage asks (-c sourceMaps=true): no function pays for them at cold start by default', () => {
    // Protects issue 17 (Lambda start): NODE_OPTIONS=--enable-source-maps parses each bundle's map on load.
    const nodeOptions = (t: Template) =>
      Object.values(t.findResources('AWS::Lambda::Function'))
        .filter((f) => f.Properties.Handler === 'index.handler')
        .map((f) => f.Properties.Environment?.Variables?.NODE_OPTIONS);
    const plain = nodeOptions(synth({ stage: 'dev' }));
    expect(plain.length).toBeGreaterThan(5);
    expect(plain.filter((v) => v !== undefined)).toEqual([]);
    const mapped = nodeOptions(synth(settingsFromContext((k) => ({ stage: 'dev', sourceMaps: 'true' })[k]), 'M')).filter((v, i, all) => all.indexOf(v) === i);
    expect(mapped).toEqual(['--enable-source-maps']);
  });
});

describe('context keys', () => {
  const ctx = (values: Record<string, string>) => settingsFromContext((k) => values[k]);

  it('reads stage, alarm e-mail, throttles and the front, with defaults', () => {
    expect(ctx({})).toMatchObject({ stage: 'dev', development: false, handlerAllowPrivate: false, throttle: {} });
    expect(ctx({ stage: 'prod', alarmEmail: 'ops@example.com', apiRateLimit: '50', apiBurstLimit: '100', producerRateLimit: '10', producerBurstLimit: '20' })).toMatchObject({
      stage: 'prod',
      alarmEmail: 'ops@example.com',
      throttle: { rest: { rate: 50, burst: 100 }, producer: { rate: 10, burst: 20 } },
    });
    expect(ctx({ front: 'true', domainName: 'events.example.com', certificateArn: 'arn:aws:acm:us-east-1:1:certificate/x', edgeRatePer5Minutes: '600' }).front).toEqual({
      domainName: 'events.example.com',
      certificateArn: 'arn:aws:acm:us-east-1:1:certificate/x',
      ratePerIpPer5Minutes: 600,
    });
  });

  it('names the key of a wrong value', () => {
    expect(() => ctx({ alarmEmail: 'nobody' })).toThrow(/alarmEmail/);
    expect(() => ctx({ apiRateLimit: '10' })).toThrow(/apiRateLimit and apiBurstLimit go together/);
    expect(() => ctx({ producerRateLimit: 'fast', producerBurstLimit: '1' })).toThrow(/producerRateLimit=fast/);
    expect(() => ctx({ development: 'maybe' })).toThrow(/development=maybe/);
    expect(() => ctx({ domainName: 'events.example.com' })).toThrow(/need front=true/);
    expect(() => ctx({ stage: 'a b' })).toThrow(/stage/);
  });
});

describe('the optional front', () => {
  it('puts CloudFront with a WAF rate-based rule and a body-size rule, and the custom domain, in front; applications get the domain', () => {
    // Protects issue 19 §1: edge protection, and a PUBLIC_URL that survives replacing the API.
    const t = synth({ stage: 'edge', front: { domainName: 'events.example.com', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc', ratePerIpPer5Minutes: 600 }, env: US_EAST_1 });
    t.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: ['events.example.com'],
        ViewerCertificate: Match.objectLike({ AcmCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc', MinimumProtocolVersion: 'TLSv1.2_2021' }),
        WebACLId: { 'Fn::GetAtt': [Match.stringLikeRegexp('WebAcl'), 'Arn'] },
        DefaultCacheBehavior: Match.objectLike({ AllowedMethods: Match.arrayWith(['OPTIONS', 'POST']), ViewerProtocolPolicy: 'https-only' }),
      }),
    });
    t.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'CLOUDFRONT',
      Rules: [
        Match.objectLike({ Name: 'RatePerIp', Statement: { RateBasedStatement: { Limit: 600, AggregateKeyType: 'IP', EvaluationWindowSec: 300 } }, Action: { Block: { CustomResponse: { ResponseCode: 503, CustomResponseBodyKey: 'queryLimit' } } } }),
        Match.objectLike({ Name: 'BodyTooLarge', Statement: { RegexMatchStatement: Match.objectLike({ RegexString: greaterThanPattern(1024 * 1024) }) }, Action: { Block: { CustomResponse: { ResponseCode: 413, CustomResponseBodyKey: 'tooLarge' } } } }),
      ],
    });
    for (const fn of Object.values(t.findResources('AWS::Lambda::Function')).filter((f) => f.Properties.Environment?.Variables?.PUBLIC_URL)) {
      expect(fn.Properties.Environment.Variables.PUBLIC_URL).toBe('https://events.example.com');
    }
  });

  it('without a custom domain hands out the CloudFront domain; refuses a WAF it cannot create outside us-east-1', () => {
    const t = synth({ stage: 'edge', front: {}, env: US_EAST_1 });
    const fn = Object.values(t.findResources('AWS::Lambda::Function')).find((f) => f.Properties.Environment?.Variables?.PUBLIC_URL)!;
    expect(JSON.stringify(fn.Properties.Environment.Variables.PUBLIC_URL)).toContain('DomainName');
    expect(() => synth({ stage: 'edge', front: {}, env: { account: '123456789012', region: 'eu-central-1' } })).toThrow(/us-east-1.*webAclArn/);
    const imported = synth({ stage: 'edge', front: { webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/1' }, env: { account: '123456789012', region: 'eu-central-1' } });
    imported.resourceCountIs('AWS::WAFv2::WebACL', 0);
    expect(() => synth({ stage: 'edge', front: { domainName: 'events.example.com' }, env: US_EAST_1 })).toThrow(/domainName and certificateArn go together/);
  });

  it('matches exactly the Content-Length values over the limit', () => {
    for (const limit of [0, 9, 10, 99, 1048576, 1000000]) {
      const pattern = new RegExp(greaterThanPattern(limit));
      for (const n of [0, 1, limit - 1, limit, limit + 1, limit + 9, limit * 10 + 3, 99999999]) {
        if (n < 0) continue;
        expect({ limit, n, match: pattern.test(String(n)) }).toEqual({ limit, n, match: n > limit });
      }
      expect(pattern.test(`000${limit + 1}`)).toBe(true);
      expect(pattern.test('abc')).toBe(false);
    }
  });
});

describe('tenant isolation: the delivery worker’s ceiling and the capacity kept for the API (issue 18 item 5)', () => {
  const synth = (values: Record<string, string>) => Template.fromStack(new EventHubStack(app(), 'Iso', settingsFromContext((k) => ({ stage: 'iso', ...values })[k])));
  const reservedOf = (template: Template, prefix: string): (number | undefined)[] =>
    Object.entries(template.findResources('AWS::Lambda::Function'))
      .filter(([id]) => id.startsWith(prefix))
      .map(([, r]) => (r as { Properties: { ReservedConcurrentExecutions?: number } }).Properties.ReservedConcurrentExecutions);

  it('caps the SQS event source at 20 delivery instances by default and reserves nothing (a new account keeps its unreserved pool)', () => {
    const template = synth({});
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 10, ScalingConfig: { MaximumConcurrency: 20 } });
    expect(reservedOf(template, 'ServicePublish').every((r) => r === undefined)).toBe(true);
    expect(reservedOf(template, 'ServiceRest').every((r) => r === undefined)).toBe(true);
  });

  it('takes the cap and the reservations from the context: publish, every REST function and the fallback', () => {
    const template = synth({ deliveryMaxConcurrency: '50', publishReservedConcurrency: '100', restReservedConcurrency: '5' });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 50 } });
    expect(reservedOf(template, 'ServicePublish')).toEqual([100]);
    const rest = reservedOf(template, 'ServiceRest');
    expect(rest.length).toBeGreaterThan(10);
    expect(rest.every((r) => r === 5)).toBe(true);
    expect(reservedOf(template, 'ServiceDeliver')).toEqual([undefined]);
  });

  it('refuses a cap SQS does not accept, naming the key', () => {
    expect(() => settingsFromContext((k) => ({ deliveryMaxConcurrency: '1' })[k])).toThrow(/deliveryMaxConcurrency=1/);
    expect(() => settingsFromContext((k) => ({ deliveryMaxConcurrency: '1001' })[k])).toThrow(/deliveryMaxConcurrency=1001/);
    expect(() => settingsFromContext((k) => ({ restReservedConcurrency: '2.5' })[k])).toThrow(/restReservedConcurrency/);
  });
});
