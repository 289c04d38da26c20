import {
  type AnyJobDefinition,
  JOB_CANCELLED_ERROR_CODE,
  type JobProgress,
  type JobSnapshot,
  type JobState,
} from "@switchyard/core";
import type { AnyRetrieveRunResult } from "@trigger.dev/sdk";
import { PROGRESS_METADATA_KEY, RETRY_AT_METADATA_KEY } from "./job-task.js";
import { stepsInMetadata } from "./run-step-store.js";
import { RESUME_AT_METADATA_KEY } from "./run-suspension.js";

type RunStatus = AnyRetrieveRunResult["status"];

/** Run statuses after which the run never changes (C:schemas/api.js RunStatus). */
const FINISHED: ReadonlySet<RunStatus> = new Set<RunStatus>([
  "COMPLETED",
  "CANCELED",
  "FAILED",
  "CRASHED",
  "SYSTEM_FAILURE",
  "EXPIRED",
  "TIMED_OUT",
]);

/**
 * The statuses a Switchyard job reports as failed: the handler's error (FAILED), a crash or an
 * error of the platform (CRASHED, SYSTEM_FAILURE), a run past its maxDuration (TIMED_OUT) or never
 * started within its ttl (EXPIRED).
 */
export const FAILED_STATUSES: ReadonlyArray<RunStatus> = [
  "FAILED",
  "CRASHED",
  "SYSTEM_FAILURE",
  "TIMED_OUT",
  "EXPIRED",
];

export function isFinished(status: RunStatus): boolean {
  return FINISHED.has(status);
}

export function isFailed(status: RunStatus): boolean {
  return FAILED_STATUSES.includes(status);
}

/**
 * A job's state from its run's status. Between two attempts Trigger.dev reports the run as
 * EXECUTING (toJobSnapshot tells that wait apart by the run's metadata); PENDING_VERSION (no
 * deployed version has the task yet) is `waiting`.
 */
export function jobState(status: RunStatus): JobState {
  switch (status) {
    case "DELAYED":
      return "delayed";
    case "PENDING_VERSION":
    case "QUEUED":
    case "DEQUEUED":
      return "waiting";
    case "EXECUTING":
    case "WAITING":
      return "active";
    case "COMPLETED":
      return "completed";
    case "CANCELED":
      return "cancelled";
    default:
      return "failed";
  }
}

/**
 * `get(id)`: the job `jobId` as its newest run shows it. A cancelled job's error is
 * SWITCHYARD_JOB_CANCELLED, never an earlier attempt's failure.
 */
export function toJobSnapshot(
  jobId: string,
  run: AnyRetrieveRunResult,
  job: AnyJobDefinition,
  now = Date.now(),
): JobSnapshot {
  // An EXECUTING run whose next attempt is due later (job-task.ts records it) waits for its retry;
  // an EXECUTING or WAITING (checkpointed) one suspended by a step waits to resume (run-suspension.ts).
  const retryAt = Date.parse(String(run.metadata?.[RETRY_AT_METADATA_KEY] ?? ""));
  const resumeAt = Date.parse(String(run.metadata?.[RESUME_AT_METADATA_KEY] ?? ""));
  const dueAt = Math.max(
    run.status === "EXECUTING" && retryAt > now ? retryAt : 0,
    (run.status === "EXECUTING" || run.status === "WAITING") && resumeAt > now ? resumeAt : 0,
  );
  const waitingForRetry = dueAt > 0;
  const state = waitingForRetry ? "delayed" : jobState(run.status);
  const snapshot: JobSnapshot = {
    id: jobId,
    name: run.taskIdentifier,
    state,
    payload: run.payload,
    attempts: run.attemptCount,
    maxAttempts: job.retry.maxAttempts,
    createdAt: run.createdAt,
  };
  const progress = run.metadata?.[PROGRESS_METADATA_KEY] as JobProgress | undefined;
  if (progress !== undefined) snapshot.progress = progress;
  const steps = stepsInMetadata(run.metadata);
  if (steps.size > 0) snapshot.steps = [...steps.keys()];
  if (state === "completed") snapshot.result = run.output;
  if (state === "cancelled") {
    snapshot.error = { message: `job ${jobId} was cancelled`, code: JOB_CANCELLED_ERROR_CODE };
  } else if (run.error && state !== "completed") {
    // The run's error is the AttemptOutcomeError the task threw: its name is the Switchyard code.
    snapshot.error = { message: run.error.message, ...(run.error.name ? { code: run.error.name } : {}) };
  }
  if (waitingForRetry) snapshot.runAt = new Date(dueAt);
  else if (state === "delayed" && run.delayedUntil) snapshot.runAt = run.delayedUntil;
  if (run.finishedAt) snapshot.finishedAt = run.finishedAt;
  return snapshot;
}
