import { Duration } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { join } from 'node:path';

export interface ServiceFunctionProps {
  /** Absolute path of the TypeScript entry (lib/entries.ts). */
  entry: string;
  environment: Record<string, string>;
  timeout?: Duration;
  memorySize?: number;
  /**
   * `NODE_OPTIONS=--enable-source-maps`: stack traces in logs point into the TypeScript, at the
   * price of loading the bundle's source map at start. Off unless the operator turns it on
   * (CDK context `sourceMaps=true`, docs/operations.md); the maps are built either way.
   */
  sourceMaps?: boolean;
  /** Reserved concurrency: kept for this function and its ceiling (docs/operations.md, "Tenant isolation"). */
  reservedConcurrentExecutions?: number;
  /** Shell commands run after esbuild, given its input and output directories (files the bundle reads at run time). */
  afterBundling?: (inputDir: string, outputDir: string) => string[];
}

/**
 * How esbuild bundles each function, shared with the benchmark (bench/bundles.ts) so it
 * measures the bundles `cdk synth` makes.
 * - `module` before `main`: the AWS SDK's ES module build tree-shakes far better than its
 *   CommonJS one (a REST function: 828 kB → 611 kB).
 * - `external`: the credential providers the SDK's default chain loads lazily (`await import`)
 *   and only when no credentials are in the environment. Lambda always puts the function's
 *   credentials there, so they are never loaded; were they ever needed, the Node.js runtime
 *   ships the whole AWS SDK v3 and `require` finds them. Leaving them out saves about 115 kB
 *   (their STS, SSO and sign-in clients) per function.
 */
export const BUNDLING = {
  minify: true,
  sourceMap: true,
  target: 'node20',
  mainFields: ['module', 'main'],
  external: [
    '@aws-sdk/credential-provider-ini',
    '@aws-sdk/credential-provider-sso',
    '@aws-sdk/credential-provider-process',
    '@aws-sdk/credential-provider-web-identity',
    '@aws-sdk/credential-provider-login',
    '@aws-sdk/credential-provider-http',
    '@aws-sdk/token-providers',
    '@smithy/credential-provider-imds',
  ],
  /**
   * Packages replaced at bundling: `object-inspect` (18 kB, pulled in by qs → side-channel only
   * to format an error message) by a few lines (lib/shims/object-inspect.js). Keeps `batch`,
   * which carries every REST method, under the 500 kB bundle goal (docs/decisions.md).
   */
  alias: { 'object-inspect': join(__dirname, 'shims', 'object-inspect.js') },
} as const;

/**
 * Every function of the service, set up once: Node.js 24 (Lambda's latest) on arm64 (bundles
 * target Node 20 syntax, so the same code runs on the local Node 20), one esbuild bundle per
 * entry (minified, source maps beside it, AWS SDK v3 bundled so it is tree-shaken), two weeks of logs,
 * X-Ray tracing. Node applies the source maps to stack traces only when the stage says so
 * (`-c sourceMaps=true` sets NODE_OPTIONS=--enable-source-maps): parsing them costs every cold
 * start (docs/benchmarks.md). Its role may write only its own log group: no AWSLambdaBasicExecutionRole,
 * which would let it write to every log group of the account.
 */
export class ServiceFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, { retention: RetentionDays.TWO_WEEKS });
    const role = new Role(scope, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com'), description: `b24-event-hub ${id}: its own log group, and what the stack grants it` });
    logGroup.grantWrite(role);
    super(scope, id, {
      role,
      entry: props.entry,
      projectRoot: join(__dirname, '..'),
      depsLockFilePath: join(__dirname, '..', 'package-lock.json'),
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      ...(props.reservedConcurrentExecutions !== undefined ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions } : {}),
      logGroup,
      environment: { ...(props.sourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}), ...props.environment },
      bundling: {
        minify: BUNDLING.minify,
        sourceMap: BUNDLING.sourceMap,
        target: BUNDLING.target,
        mainFields: [...BUNDLING.mainFields],
        externalModules: [...BUNDLING.external],
        esbuildArgs: Object.fromEntries(Object.entries(BUNDLING.alias).map(([from, to]) => [`--alias:${from}`, to])),
        format: OutputFormat.CJS,
        bundleAwsSDK: true,
        ...(props.afterBundling
          ? { commandHooks: { beforeBundling: () => [], beforeInstall: () => [], afterBundling: props.afterBundling } }
          : {}),
      },
    });
  }
}
