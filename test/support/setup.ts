// Loaded before every test file (jest setupFiles).
// Test applications call much faster than Bitrix24's 2 requests per second; the rate-limit
// tests set their own limits.
process.env.RATE_LIMIT_PER_SECOND ??= '100000';
process.env.RATE_LIMIT_BURST ??= '1000000';
