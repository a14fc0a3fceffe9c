// Loaded before every test file (jest setupFiles).
// Tests run use cases that send (publish, event.test, notifications) without a handler entry
// that would bring the outbound adapters, as a Lambda bundle does: bring them for every test file.
import '../../lambdas/outbound/index';

// Test applications call much faster than Bitrix24's 2 requests per second; the rate-limit
// tests set their own limits.
process.env.RATE_LIMIT_PER_SECOND ??= '100000';
process.env.RATE_LIMIT_BURST ??= '1000000';
