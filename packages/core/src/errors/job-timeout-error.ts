import { SwitchyardError } from "./switchyard-error.js";

export const JOB_TIMEOUT_ERROR_CODE = "SWITCHYARD_JOB_TIMEOUT";

/** An attempt ran longer than the job's `timeout`. Its signal was aborted; the attempt is retried like any failure. */
export class JobTimeoutError extends SwitchyardError {
  readonly code = JOB_TIMEOUT_ERROR_CODE;
}
