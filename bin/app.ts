import { App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EventHubStack } from '../lib/event-hub-stack';

/** The CDK app: `npx cdk synth` / `npx cdk deploy` (stage from `-c stage=…`, default dev). */
const app = new App();
const stage = (app.node.tryGetContext('stage') as string | undefined) ?? 'dev';
const claimLifetime = app.node.tryGetContext('claimLifetimeSeconds') as string | undefined;
const deliveryRetries = app.node.tryGetContext('deliveryRetries') as string | undefined;
const allowPrivate = app.node.tryGetContext('handlerAllowPrivate') as string | undefined;
const ratePerSecond = app.node.tryGetContext('rateLimitPerSecond') as string | undefined;
const rateBurst = app.node.tryGetContext('rateLimitBurst') as string | undefined;
const stack = new EventHubStack(app, `b24-event-hub-${stage}`, {
  stage,
  ...(claimLifetime ? { claimLifetimeSeconds: Number(claimLifetime) } : {}),
  ...(deliveryRetries ? { deliveryRetries: Number(deliveryRetries) } : {}),
  handlerAllowPrivate: allowPrivate === '1' || allowPrivate === 'true',
  ...(ratePerSecond ? { rateLimitPerSecond: Number(ratePerSecond) } : {}),
  ...(rateBurst ? { rateLimitBurst: Number(rateBurst) } : {}),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
// cdk-nag's AwsSolutions rules on every synth: an unsuppressed finding fails it (lib/nag-suppressions.ts).
Aspects.of(stack).add(new AwsSolutionsChecks());
