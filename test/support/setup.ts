// Loaded before every test file (jest setupFiles).
// Test applications call much faster than Bitrix24's 2 requests per second; the rate-limit
// tests set their own limits.
process.env.RATE_LIMIT_PER_SECOND ??= '100000';
process.env.RATE_LIMIT_BURST ??= '1000000';

// A quiet run: handler logs and metric lines are for operators, not for the test report.
// test/http/observability.test.ts turns them back on to check them.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
// The SDK's Node 20 end-of-support notice, documented switch (aws/aws-sdk-js-v3#7983); global-setup sets it too.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
