import type { JobSnapshot } from "@switchyard/core";
import type { ApiEvent, ApiRun } from "./inngest-rest-client.js";
import { payloadOf } from "./job-event.js";
import { readCompletedOutput, readFailedOutput } from "./run-output.js";

/** A Switchyard event and the runs Inngest started for it (reruns included). */
export interface FoundJob {
  event: ApiEvent;
  jobName: string;
  runs: ApiRun[];
}

/** The newest run: reruns come after the run they repeat (run ids are ULIDs, in creation order). */
export function latestRun(runs: ReadonlyArray<ApiRun>): ApiRun | undefined {
  return runs.reduce<ApiRun | undefined>(
    (latest, run) => (latest === undefined || run.run_id > latest.run_id ? run : latest),
    undefined,
  );
}

export function isEndedStatus(status: string): boolean {
  return status === "Completed" || status === "Failed" || status === "Cancelled";
}

/**
 * The snapshot of a job from its event and its newest run. `queued` says, for a run Inngest has
 * not called yet (REST v1 reports it as Running too), that it is still waiting.
 */
export function jobSnapshot(
  found: FoundJob,
  run: ApiRun | undefined,
  maxAttempts: number,
  queued: boolean,
  now = Date.now(),
): JobSnapshot {
  const { event } = found;
  const base = {
    id: event.id,
    name: found.jobName,
    payload: payloadOf(event.data),
    maxAttempts,
    ...(event.received_at ? { createdAt: new Date(event.received_at) } : {}),
  };
  const finishedAt = run?.ended_at ? { finishedAt: new Date(run.ended_at) } : {};
  if (!run || (queued && !isEndedStatus(run.status))) {
    const due = typeof event.ts === "number" && event.ts > now && !run?.original_run_id;
    return due
      ? { ...base, state: "delayed", attempts: 0, runAt: new Date(event.ts as number) }
      : { ...base, state: "waiting", attempts: 0 };
  }
  switch (run.status) {
    case "Completed": {
      const { result, attempts } = readCompletedOutput(run.output);
      return { ...base, state: "completed", attempts: attempts ?? 1, result, ...finishedAt };
    }
    case "Failed": {
      const { error, attempts } = readFailedOutput(run.output);
      return { ...base, state: "failed", attempts: attempts ?? maxAttempts, error, ...finishedAt };
    }
    case "Cancelled":
      return { ...base, state: "cancelled", attempts: 0, ...finishedAt };
    default:
      // Running: Inngest's REST API does not say which attempt is running.
      return { ...base, state: "active", attempts: 1 };
  }
}
