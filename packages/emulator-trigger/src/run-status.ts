import type { RunStatus } from "@trigger.dev/core/v3";

/**
 * Statuses after which a run never changes again. Note that the API's `isCompleted` excludes
 * EXPIRED and TIMED_OUT (see {@link statusFlags}); the emulator still treats them as final.
 */
export const FINAL_STATUSES: ReadonlySet<RunStatus> = new Set<RunStatus>([
  "COMPLETED",
  "CANCELED",
  "FAILED",
  "CRASHED",
  "SYSTEM_FAILURE",
  "EXPIRED",
  "TIMED_OUT",
]);

export function isFinalStatus(status: RunStatus): boolean {
  return FINAL_STATUSES.has(status);
}

/**
 * Statuses whose run gives up its idempotency key to the next trigger with the same key.
 * The server clears the key lazily when a new trigger finds the old run failed-like
 * (`shouldIdempotencyKeyBeCleared`: COMPLETED_WITH_ERRORS, CRASHED, SYSTEM_FAILURE, TIMED_OUT,
 * EXPIRED, INTERRUPTED — W:apps/webapp/app/v3/taskStatus.ts and its test
 * apps/webapp/test/shouldIdempotencyKeyBeCleared.test.ts); "successful and canceled runs keep
 * their idempotency key" (DOC:idempotency.mdx, "Failed runs and idempotency").
 */
const KEY_RELEASING_STATUSES: ReadonlySet<RunStatus> = new Set<RunStatus>([
  "FAILED",
  "CRASHED",
  "SYSTEM_FAILURE",
  "TIMED_OUT",
  "EXPIRED",
]);

export function releasesIdempotencyKey(status: RunStatus): boolean {
  return KEY_RELEASING_STATUSES.has(status);
}

/** Runs in these statuses can be canceled (W:apps/webapp/app/v3/taskStatus.ts CANCELLABLE_RUN_STATUSES). */
export function isCancellable(status: RunStatus): boolean {
  return (
    status === "DELAYED" ||
    status === "QUEUED" ||
    status === "PENDING_VERSION" ||
    status === "DEQUEUED" ||
    status === "EXECUTING" ||
    status === "WAITING"
  );
}

/**
 * The boolean helpers every run response carries, derived from the status like the server's
 * presenter does (W:apps/webapp/app/presenters/v3/ApiRetrieveRunPresenter.server.ts
 * apiBooleanHelpersFromRunStatus): EXPIRED and TIMED_OUT are neither completed nor failed.
 */
export function statusFlags(status: RunStatus) {
  const isCompleted =
    status === "COMPLETED" ||
    status === "CANCELED" ||
    status === "FAILED" ||
    status === "CRASHED" ||
    status === "SYSTEM_FAILURE";
  return {
    isQueued: status === "QUEUED" || status === "DELAYED" || status === "PENDING_VERSION",
    isExecuting: status === "EXECUTING" || status === "DEQUEUED",
    isWaiting: status === "WAITING",
    isCompleted,
    isSuccess: status === "COMPLETED",
    isFailed: isCompleted && status !== "COMPLETED",
    isCancelled: status === "CANCELED",
  };
}
