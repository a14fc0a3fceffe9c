import { App, Aspects, type Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { EventHubStack, type EventHubStackProps } from '../../lib/event-hub-stack';

/**
 * cdk-nag's AwsSolutions and Serverless rules over the real stack, as deployed by default and
 * with everything optional switched on (front with custom domain, alarm e-mail): every finding
 * is fixed or suppressed on its resource with a reason (lib/nag-suppressions.ts).
 */
function findings(props: EventHubStackProps): string[] {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack: Stack = new EventHubStack(app, 'Nag', props);
  Aspects.of(stack).add(new AwsSolutionsChecks({ verbose: true }));
  Aspects.of(stack).add(new ServerlessChecks({ verbose: true }));
  app.synth();
  const pattern = Match.stringLikeRegexp('(AwsSolutions|Serverless)-.*');
  return [...Annotations.fromStack(stack).findError('*', pattern), ...Annotations.fromStack(stack).findWarning('*', pattern)].map((f) => `${f.id}: ${String(f.entry.data).split('\n')[0]}`);
}

describe('cdk-nag AwsSolutions and Serverless', () => {
  it('reports no unsuppressed error or warning on the default stack', () => {
    expect(findings({ stage: 'nag' })).toEqual([]);
  }, 120_000);

  it('reports none with the front, a custom domain and the alarm e-mail', () => {
    expect(
      findings({
        stage: 'nag',
        alarmEmail: 'ops@example.com',
        front: { domainName: 'events.example.com', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc' },
        env: { account: '123456789012', region: 'us-east-1' },
      }),
    ).toEqual([]);
  }, 120_000);
});
