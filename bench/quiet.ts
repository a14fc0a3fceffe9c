// Loaded first, before the handlers read their settings.
// The handlers log every request at INFO; a benchmark of thousands of requests keeps warnings only.
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
// The benchmark is one application calling far faster than Bitrix24's 2 requests per second:
// keep the limiter (and its write per request) but with room for the load.
process.env.RATE_LIMIT_PER_SECOND ??= '100000';
process.env.RATE_LIMIT_BURST ??= '1000000';
