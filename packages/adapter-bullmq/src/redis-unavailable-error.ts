import { SwitchyardError } from "@switchyard/core";

export const REDIS_UNAVAILABLE_ERROR_CODE = "SWITCHYARD_REDIS_UNAVAILABLE";

/**
 * Redis did not answer within the adapter's `commandTimeout` (it is down, unreachable, or the
 * connection dropped). When it is thrown before the command was sent (Redis was not connected),
 * nothing was written; after a dropped connection the outcome is unknown, so retry an enqueue with
 * an idempotency key to be safe.
 */
export class RedisUnavailableError extends SwitchyardError {
  readonly code = REDIS_UNAVAILABLE_ERROR_CODE;
}
