// The handlers log every request at INFO; a benchmark of thousands of requests keeps warnings only.
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
