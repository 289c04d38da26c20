import type { JobState } from "@switchyard/core";

/**
 * The state of a job as SQL, the same rules as `toJobSnapshot`: for a live job `j` (graphile-worker's
 * `_private_jobs`), and for a finished one `f` (`switchyard_finished`) with its state row `s`.
 */
export const LIVE_STATE_SQL = `case when j.locked_at is not null then 'active'
            when j.attempts >= j.max_attempts then 'failed'
            when j.run_at > now() then 'delayed'
            else 'waiting' end`;

export const FINISHED_STATE_SQL = `case when f.cancelled or s.outcome is not distinct from 'cancelled'
            then 'cancelled' else 'completed' end`;

/** The states of jobs still in graphile-worker's table; the others are finished records. */
export type LiveState = Extract<JobState, "waiting" | "delayed" | "active" | "failed">;

/** A condition on live job `j` that holds when it is in `state` (fixed text: never built from input). */
export const LIVE_STATE_CONDITION: Record<LiveState, string> = {
  active: "j.locked_at is not null",
  failed: "j.locked_at is null and j.attempts >= j.max_attempts",
  delayed: "j.locked_at is null and j.attempts < j.max_attempts and j.run_at > now()",
  waiting: "j.locked_at is null and j.attempts < j.max_attempts and j.run_at <= now()",
};

export function isLiveState(state: JobState): state is LiveState {
  return state in LIVE_STATE_CONDITION;
}
