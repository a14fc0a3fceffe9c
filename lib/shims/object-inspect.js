'use strict';
/* global module */
/**
 * Bundled in place of the `object-inspect` package (lib/service-function.ts, BUNDLING.alias).
 * qs needs side-channel, and side-channel calls inspect() only to name a missing key in an
 * error message that this service never triggers; the full package is 18 kB of each bundle.
 */
module.exports = function inspect(value) {
  try {
    return typeof value === 'string' ? JSON.stringify(value) : String(value);
  } catch {
    return typeof value;
  }
};
