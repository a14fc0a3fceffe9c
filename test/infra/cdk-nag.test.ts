import { App, Aspects } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EventHubStack } from '../../lib/event-hub-stack';

/** cdk-nag's AwsSolutions rules over the real stack: every finding is fixed or suppressed with a reason (lib/nag-suppressions.ts). */
describe('cdk-nag AwsSolutions', () => {
  it('reports no unsuppressed error or warning', () => {
    // The rules read the template, not the code: no bundling (see event-hub-stack.test.ts).
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new EventHubStack(app, 'Nag', { stage: 'nag' });
    Aspects.of(stack).add(new AwsSolutionsChecks({ verbose: true }));
    app.synth();
    const findings = [...Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*')), ...Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))];
    expect(findings.map((f) => `${f.id}: ${String(f.entry.data).split('\n')[0]}`)).toEqual([]);
  }, 120_000);
});
