import { JOB_CANCELLED_ERROR_CODE, type JobError, type JobSnapshot, type JobState } from "@switchyard/core";
import type { JobState as BullmqJobState, Job } from "bullmq";
import { errorCodeOf } from "./attempt-errors.js";
import { formatJobId } from "./job-ref.js";
import { payloadOf } from "./schedule-payload.js";

/** The error BullMQ recorded for a job's last failed attempt, with its Switchyard code. */
export function jobErrorOf(job: Job): JobError | undefined {
  if (!job.failedReason) return undefined;
  const code = errorCodeOf(job);
  return code === undefined ? { message: job.failedReason } : { message: job.failedReason, code };
}

/** True for a job that failed because it was cancelled while running (BullMQ has no cancelled state). */
export function isCancelledJob(job: Job): boolean {
  return job.finishedOn !== undefined && errorCodeOf(job) === JOB_CANCELLED_ERROR_CODE;
}

/** A BullMQ job as Switchyard shows it. `state` comes from `job.getState()` (or the list it was read from). */
export function toJobSnapshot(queue: string, job: Job, bullmqState: BullmqJobState | "unknown"): JobSnapshot {
  const state = stateOf(job, bullmqState);
  const snapshot: JobSnapshot = {
    id: formatJobId(queue, job.id!),
    name: queue,
    state,
    payload: payloadOf(job),
    attempts: job.attemptsStarted ?? 0,
    maxAttempts: job.opts.attempts || 1,
    createdAt: new Date(job.timestamp),
  };
  // BullMQ stores 0 for a job that never reported progress; 0 is shown as no progress.
  if (job.progress !== 0 && job.progress !== undefined)
    snapshot.progress = job.progress as JobSnapshot["progress"];
  // BullMQ stores a handler's `undefined` as null; both read back as no result.
  if (state === "completed" && job.returnvalue !== null) snapshot.result = job.returnvalue;
  const retrying = (state === "delayed" || state === "waiting") && job.attemptsMade > 0;
  if (state === "failed" || state === "cancelled" || retrying) snapshot.error = jobErrorOf(job);
  // A first run's due time is known (enqueued at + delay); a retry's is not kept in the job (get(id)
  // reads any delayed job's from the delayed set: step-view.ts).
  if (state === "delayed" && job.attemptsMade === 0 && job.delay > 0) {
    snapshot.runAt = new Date(job.timestamp + job.delay);
  }
  if (job.finishedOn && (state === "completed" || state === "failed" || state === "cancelled")) {
    snapshot.finishedAt = new Date(job.finishedOn);
  }
  return snapshot;
}

function stateOf(job: Job, state: BullmqJobState | "unknown"): JobState {
  switch (state) {
    case "completed":
    case "active":
    case "delayed":
      return state;
    case "failed":
      return isCancelledJob(job) ? "cancelled" : "failed";
    default:
      // waiting, prioritized, waiting-children (and "unknown" in a race with a state change)
      return "waiting";
  }
}
