import { JOB_CANCELLED_ERROR_CODE, type JobSnapshot } from "@switchyard/core";
import type { ApiEvent, ApiRun } from "./inngest-rest-client.js";
import { payloadOf } from "./job-event.js";
import { readCompletedOutput, readFailedOutput } from "./run-output.js";

/** A Switchyard event and the runs Inngest started for it (reruns included), as REST v2 lists them. */
export interface FoundJob {
  event: ApiEvent;
  jobName: string;
  runs: ApiRun[];
  /**
   * For a running run whose queue item is due later (`GET /v1/runs/{id}/jobs`): it waits for a retry,
   * due at `at`, after `attempts` attempts.
   */
  retry?: { at: Date; attempts: number };
}

/** The newest run: the last one queued (reruns come after the run they repeat; run ids are ULIDs). */
export function latestRun(runs: ReadonlyArray<ApiRun>): ApiRun | undefined {
  const queued = (run: ApiRun) => Date.parse(run.queuedAt ?? "") || 0;
  return runs.reduce<ApiRun | undefined>((latest, run) => {
    if (latest === undefined) return run;
    const order = queued(run) - queued(latest) || (run.id > latest.id ? 1 : -1);
    return order > 0 ? run : latest;
  }, undefined);
}

/** v2 run statuses after which a run never changes (G:pkg/api/v2/endpoints_runs.go:583-596). */
export function isEndedStatus(status: string): boolean {
  return status === "COMPLETED" || status === "FAILED" || status === "CANCELLED";
}

/**
 * The snapshot of a job from its event and the runs REST v2 lists for it, newest deciding:
 * - no run yet (Inngest creates it after the event API has answered) or QUEUED: waiting, or
 *   delayed until the event's `ts` while that is ahead and the run is the event's first (a rerun
 *   starts at once);
 * - RUNNING: delayed until its retry when its queue item is due later (`retry`), else active (REST
 *   does not say which attempt runs, so attempts is 1);
 * - COMPLETED, FAILED: the result or error, and the attempt count, from the run's output
 *   (run-output.ts); CANCELLED: cancelled, with SWITCHYARD_JOB_CANCELLED as its error (never an
 *   earlier attempt's failure: one rule on every backend).
 */
export function toJobSnapshot(found: FoundJob, maxAttempts: number, now = Date.now()): JobSnapshot {
  const { event, runs } = found;
  const run = latestRun(runs);
  const base = {
    id: event.id,
    name: found.jobName,
    payload: payloadOf(event.data),
    maxAttempts,
    ...(event.received_at ? { createdAt: new Date(event.received_at) } : {}),
  };
  const finishedAt = run?.endedAt ? { finishedAt: new Date(run.endedAt) } : {};
  switch (run?.status) {
    case "COMPLETED": {
      const { result, attempts } = readCompletedOutput(run.output);
      return { ...base, state: "completed", attempts: attempts ?? 1, result, ...finishedAt };
    }
    case "FAILED": {
      const { error, attempts } = readFailedOutput(run.output);
      return { ...base, state: "failed", attempts: attempts ?? maxAttempts, error, ...finishedAt };
    }
    case "CANCELLED": {
      const error = { message: `job ${event.id} was cancelled`, code: JOB_CANCELLED_ERROR_CODE };
      return { ...base, state: "cancelled", attempts: 0, error, ...finishedAt };
    }
    case "RUNNING":
      return found.retry && found.retry.at.getTime() > now
        ? { ...base, state: "delayed", attempts: found.retry.attempts, runAt: found.retry.at }
        : { ...base, state: "active", attempts: 1 };
    default: {
      const due = typeof event.ts === "number" && event.ts > now && runs.length <= 1;
      return due
        ? { ...base, state: "delayed", attempts: 0, runAt: new Date(event.ts as number) }
        : { ...base, state: "waiting", attempts: 0 };
    }
  }
}
