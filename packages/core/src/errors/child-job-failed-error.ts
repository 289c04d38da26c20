import type { JobError } from "../interfaces.js";
import { SwitchyardError } from "./switchyard-error.js";

export const CHILD_JOB_FAILED_ERROR_CODE = "SWITCHYARD_CHILD_JOB_FAILED";

/**
 * Thrown by `ctx.step.invoke` when the child job failed for good (or was cancelled). Carries the
 * child's id and error. A handler may catch it; uncaught, it fails the parent permanently (a retry
 * would find the same failed child).
 */
export class ChildJobFailedError extends SwitchyardError {
  readonly code = CHILD_JOB_FAILED_ERROR_CODE;
  readonly childId: string;
  readonly childError?: JobError;

  constructor(childId: string, childJob: string, childError: JobError | undefined, state: string) {
    super(
      `child job "${childJob}" (${childId}) ${state === "cancelled" ? "was cancelled" : "failed"}${childError ? `: ${childError.message}` : ""}`,
    );
    this.childId = childId;
    this.childError = childError;
  }
}
