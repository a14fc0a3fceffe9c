import type { Stack } from 'aws-cdk-lib';
import { NagSuppressions } from 'cdk-nag';

/**
 * The cdk-nag (AwsSolutions) findings this stack keeps on purpose, each with its reason.
 * test/infra/cdk-nag.test.ts fails on any finding not listed here.
 */
export function suppressNagFindings(stack: Stack): void {
  NagSuppressions.addStackSuppressions(stack, [
    {
      id: 'AwsSolutions-APIG4',
      reason:
        'The REST routes authenticate in the function, with the Bitrix24 protocol (OAuth access tokens, incoming-webhook secrets) that clients such as b24jssdk speak; /oauth/token authenticates the client secret; the /rest fallback only redirects. The producer route uses IAM.',
    },
    {
      id: 'AwsSolutions-IAM4',
      reason: 'AWSLambdaBasicExecutionRole only lets a function write its own CloudWatch logs; CDK attaches it to every function role.',
      appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
    },
    {
      id: 'AwsSolutions-IAM5',
      reason:
        'Wildcards that cannot be narrowed: X-Ray trace segments have no resource ARN (Resource::*); DynamoDB grants cover the table\'s own indexes (<table>/index/*); publish creates schedules whose names are per binding and window, inside this stage\'s schedule group only (schedule/<group>/*); invoking the notifier covers its versions (<function>:*).',
      appliesTo: [
        'Resource::*',
        { regex: '/^Resource::<Storage[A-Za-z]+Table[0-9A-F]+\\.Arn>\\/index\\/\\*$/g' },
        { regex: '/^Resource::arn:<AWS::Partition>:scheduler:.+:schedule\\/[^/]+\\/\\*$/g' },
        { regex: '/^Resource::<ServiceNotify[0-9A-F]+\\.Arn>:\\*$/g' },
      ],
    },
    {
      id: 'AwsSolutions-SNS3',
      reason: 'The alarm topic enforces SSL with its topic policy (enforceSSL).',
    },
  ]);
}
