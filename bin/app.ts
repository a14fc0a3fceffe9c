import { App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { settingsFromContext } from '../lib/context';
import { EventHubStack } from '../lib/event-hub-stack';

/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy -c stage=… -c alarmEmail=…` (every context key
 * in lib/context.ts and docs/operations.md; stage defaults to dev).
 */
const app = new App();
const settings = settingsFromContext((key) => app.node.tryGetContext(key));
const stack = new EventHubStack(app, `b24-event-hub-${settings.stage}`, {
  ...settings,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
// cdk-nag's AwsSolutions and Serverless rules on every synth: an unsuppressed finding fails it (lib/nag-suppressions.ts).
Aspects.of(stack).add(new AwsSolutionsChecks());
Aspects.of(stack).add(new ServerlessChecks());
