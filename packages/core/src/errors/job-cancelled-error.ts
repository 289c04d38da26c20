import { SwitchyardError } from "./switchyard-error.js";

export const JOB_CANCELLED_ERROR_CODE = "SWITCHYARD_JOB_CANCELLED";

/** The reason a running job's `ctx.signal` carries when the job was cancelled. Not retried. */
export class JobCancelledError extends SwitchyardError {
  readonly code = JOB_CANCELLED_ERROR_CODE;
}
