import { type Duration, toMilliseconds } from "../duration.js";
import { SwitchyardError } from "./switchyard-error.js";

export const RETRY_AFTER_ERROR_CODE = "SWITCHYARD_RETRY_AFTER";

/**
 * Thrown by a handler to retry at a time it chooses instead of the job's backoff policy
 * (for example from an HTTP `Retry-After` header).
 *
 * The attempt still counts toward `maxAttempts`: every backend counts each delivery, so this is
 * the one rule all of them can keep. When no attempt is left, the job fails like any other error.
 * The decision lives in `decideAttemptOutcome` (attempt-outcome.ts).
 */
export class RetryAfterError extends SwitchyardError {
  readonly code = RETRY_AFTER_ERROR_CODE;
  /** Milliseconds from now until the next attempt. */
  readonly delayMs: number;

  /** @param after a delay (`"30s"`, milliseconds) or an absolute time. */
  constructor(after: Duration | Date, message?: string, options?: ErrorOptions) {
    const delayMs = after instanceof Date ? Math.max(0, after.getTime() - Date.now()) : toMilliseconds(after);
    super(message ?? `retry requested in ${delayMs} ms`, options);
    this.delayMs = delayMs;
  }
}
