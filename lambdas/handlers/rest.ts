import { apiRateLimiter, credentialCache } from '../composition';
import { config } from '../config';
import { restHandler, type AnyRestMethod, type RestHandler } from '../wire/rest-method';

/**
 * The Lambda handler of a REST method, composed from the configuration: the front
 * authenticates against the registry (through a short-lived cache) and takes from the rate-limit
 * bucket (in leases), then the method
 * runs with the ports its descriptor's `deps` builds. The stack generates one entry per method
 * that calls this (lib/entries.ts); `batch`'s passes every other method too, `methods`' every name.
 */
export function restEntry(method: AnyRestMethod, siblings: readonly AnyRestMethod[] = [], names?: readonly string[]): RestHandler {
  return restHandler(
    method,
    () => {
      const cfg = config();
      return { config: cfg, registry: credentialCache(cfg), rateLimiter: apiRateLimiter(cfg) };
    },
    siblings,
    names,
  );
}
