import { Duration } from 'aws-cdk-lib';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { join } from 'node:path';

export interface ServiceFunctionProps {
  /** File name under lambdas/handlers, without extension. */
  entry: string;
  environment: Record<string, string>;
  timeout?: Duration;
  memorySize?: number;
}

/**
 * Every function of the service, set up once: Node.js 24 (Lambda's latest) on arm64 (bundles
 * target Node 20 syntax, so the same code runs on the local Node 20), one esbuild bundle per
 * entry (minified, source maps, AWS SDK v3 bundled so it is tree-shaken), two weeks of logs,
 * X-Ray tracing.
 */
export class ServiceFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id, {
      entry: join(__dirname, '..', 'lambdas', 'handlers', `${props.entry}.ts`),
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      logGroup: new LogGroup(scope, `${id}Logs`, { retention: RetentionDays.TWO_WEEKS }),
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      bundling: {
        minify: true,
        sourceMap: true,
        target: 'node20',
        format: OutputFormat.CJS,
        bundleAwsSDK: true,
      },
    });
  }
}
