import type { AttemptOutcome } from "@switchyard/core/adapter";

const BRAND = Symbol.for("switchyard.adapter-trigger.attempt-outcome-error");

type Unsuccessful = Exclude<AttemptOutcome, { type: "completed" }>;

/**
 * What a job's task throws when an attempt did not complete: it carries core's decision to the
 * task's `catchError`, and it is the error Trigger.dev records for the run. Its `name` is the
 * Switchyard error code (`SWITCHYARD_PERMANENT`, `SWITCHYARD_VALIDATION`, …) or the thrown
 * error's name, which is how `get(id)` gives the code back.
 */
export class AttemptOutcomeError extends Error {
  readonly outcome: Unsuccessful;
  /** For a retry: when the next attempt starts (now + core's delay), fixed once for the run's metadata and `catchError`. */
  readonly retryAt?: Date;
  readonly [BRAND] = true;

  constructor(outcome: Unsuccessful, now = Date.now()) {
    super(outcome.error.message);
    this.name = outcome.error.code ?? "Error";
    this.outcome = outcome;
    if (outcome.type === "retry") this.retryAt = new Date(now + outcome.delayMs);
  }
}

export function isAttemptOutcomeError(error: unknown): error is AttemptOutcomeError {
  return typeof error === "object" && error !== null && (error as { [BRAND]?: true })[BRAND] === true;
}

/**
 * The `catchError` answer for core's decision: retry at exactly the time core's policy chose
 * (backoff with its max and jitter, or a RetryAfterError's delay), or stop retrying, as
 * AbortTaskRunError does, for a permanent failure, the last attempt, or a cancelled job. Errors
 * that did not come from an attempt (none should) keep Trigger.dev's own handling.
 */
export function catchAttemptError(error: unknown): { retryAt: Date } | { skipRetrying: true } | undefined {
  if (!isAttemptOutcomeError(error)) return undefined;
  if (error.retryAt) return { retryAt: error.retryAt };
  return { skipRetrying: true };
}
