export {
  BACKEND_UNAVAILABLE_ERROR_CODE,
  BackendUnavailableError,
  type StoredOutcome,
} from "./backend-unavailable-error.js";
export { CHILD_JOB_FAILED_ERROR_CODE, ChildJobFailedError } from "./child-job-failed-error.js";
export { CLIENT_CLOSED_ERROR_CODE, ClientClosedError } from "./client-closed-error.js";
export { CONFIG_ERROR_CODE, ConfigError } from "./config-error.js";
export { JOB_CANCELLED_ERROR_CODE, JobCancelledError } from "./job-cancelled-error.js";
export { JOB_TIMEOUT_ERROR_CODE, JobTimeoutError } from "./job-timeout-error.js";
export { NOT_SUPPORTED_ERROR_CODE, NotSupportedError } from "./not-supported-error.js";
export { PERMANENT_ERROR_CODE, PermanentError } from "./permanent-error.js";
export { RETRY_AFTER_ERROR_CODE, RetryAfterError } from "./retry-after-error.js";
export { hasErrorCode, SwitchyardError } from "./switchyard-error.js";
export { UNSTORABLE_RESULT_ERROR_CODE, UnstorableResultError } from "./unstorable-result-error.js";
export { VALIDATION_ERROR_CODE, ValidationError, type ValidationIssue } from "./validation-error.js";
