import { SwitchyardError } from "./switchyard-error.js";

export const UNSTORABLE_RESULT_ERROR_CODE = "SWITCHYARD_UNSTORABLE_RESULT";

/**
 * A handler returned a value JSON cannot hold (a BigInt, a cycle). The job fails permanently on every
 * backend: running it again would return the same kind of value.
 */
export class UnstorableResultError extends SwitchyardError {
  readonly code = UNSTORABLE_RESULT_ERROR_CODE;
}
