import { SwitchyardError } from "./switchyard-error.js";

export const PERMANENT_ERROR_CODE = "SWITCHYARD_PERMANENT";

/**
 * Thrown by a handler to fail the job at once: no further attempt is made, whatever `maxAttempts` says.
 * The job ends `failed` and is listed by `listFailed()`.
 */
export class PermanentError extends SwitchyardError {
  readonly code = PERMANENT_ERROR_CODE;
}
