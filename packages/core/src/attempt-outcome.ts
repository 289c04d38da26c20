import { backoffDelay } from "./backoff.js";
import { CHILD_JOB_FAILED_ERROR_CODE } from "./errors/child-job-failed-error.js";
import { CONFIG_ERROR_CODE } from "./errors/config-error.js";
import { JOB_CANCELLED_ERROR_CODE } from "./errors/job-cancelled-error.js";
import { NOT_SUPPORTED_ERROR_CODE } from "./errors/not-supported-error.js";
import { PERMANENT_ERROR_CODE } from "./errors/permanent-error.js";
import { RETRY_AFTER_ERROR_CODE } from "./errors/retry-after-error.js";
import { hasErrorCode } from "./errors/switchyard-error.js";
import { UNSTORABLE_RESULT_ERROR_CODE } from "./errors/unstorable-result-error.js";
import { VALIDATION_ERROR_CODE } from "./errors/validation-error.js";
import type { JobError, ResolvedRetryPolicy } from "./interfaces.js";

/** What should happen to a job after one attempt. Adapters map it onto their backend. */
export type AttemptOutcome =
  | { type: "completed"; result: unknown }
  /** Run again in `delayMs`; the attempt that just ended counted toward maxAttempts. */
  | { type: "retry"; delayMs: number; error: JobError; cause: unknown }
  /** No attempt left, or the error was permanent. */
  | { type: "failed"; permanent: boolean; error: JobError; cause: unknown }
  /** The job was cancelled while running. */
  | { type: "cancelled"; error: JobError; cause: unknown };

/**
 * A durable step suspended the job (a sleep, or a wait for a child job): run it again at `until`,
 * from the top. Not an attempt: the attempt that just ended does not count toward maxAttempts. Only
 * adapters that pass a step store (`AttemptInput.steps`) ever receive it, or native step tools
 * (`AttemptInput.nativeSteps`) for an attempt they interrupted (then `until` is the interruption's
 * time and the platform resumes the job itself).
 */
export interface SuspendedOutcome {
  type: "suspended";
  until: Date;
}

/** What an attempt of a backend with steps can end in. */
export type StepAttemptOutcome = AttemptOutcome | SuspendedOutcome;

/** Errors that no further attempt can fix. */
const PERMANENT_CODES = new Set<string>([
  PERMANENT_ERROR_CODE,
  CONFIG_ERROR_CODE,
  CHILD_JOB_FAILED_ERROR_CODE,
  VALIDATION_ERROR_CODE,
  NOT_SUPPORTED_ERROR_CODE,
  UNSTORABLE_RESULT_ERROR_CODE,
]);

/**
 * The one place that decides what an error does to a job:
 * - JobCancelledError: cancelled, never retried;
 * - PermanentError, ValidationError, ConfigError, NotSupportedError, UnstorableResultError or
 *   ChildJobFailedError: failed at once (another attempt would meet the same error);
 * - the last attempt (attempt >= maxAttempts): failed;
 * - RetryAfterError: retried after the delay it names, and the attempt counts (see RetryAfterError);
 * - anything else: retried after the policy's backoff.
 */
export function decideAttemptOutcome(
  error: unknown,
  attempt: number,
  maxAttempts: number,
  policy: ResolvedRetryPolicy,
  random?: () => number,
): AttemptOutcome {
  const jobError = toJobError(error);
  if (hasErrorCode(error, JOB_CANCELLED_ERROR_CODE))
    return { type: "cancelled", error: jobError, cause: error };
  if (PERMANENT_CODES.has((error as { code?: unknown } | null)?.code as string)) {
    return { type: "failed", permanent: true, error: jobError, cause: error };
  }
  if (attempt >= maxAttempts) return { type: "failed", permanent: false, error: jobError, cause: error };
  const delayMs = hasErrorCode(error, RETRY_AFTER_ERROR_CODE)
    ? (error as { delayMs: number }).delayMs
    : backoffDelay(policy, attempt, random);
  return { type: "retry", delayMs, error: jobError, cause: error };
}

/** A serialisable summary of anything thrown. */
export function toJobError(error: unknown): JobError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { message: error.message, code: typeof code === "string" ? code : error.name };
  }
  return { message: String(error) };
}
