import type { JobError, JobSnapshot, JobState } from "@switchyard/core";

/** The columns `get` and `listFailed` select, from graphile-worker's table or the adapter's finished
 * records, joined with the adapter's job state. */
export interface JobRow {
  id: string;
  name: string;
  payload: unknown;
  attempts: number;
  max_attempts: number;
  /** Only for a job still in graphile-worker's table. */
  live: boolean;
  locked: boolean | null;
  exhausted: boolean | null;
  due_later: boolean | null;
  run_at: Date | null;
  last_error: string | null;
  created_at: Date | null;
  updated_at: Date | null;
  /** For a finished job: `completed` or `cancelled`. */
  state: "completed" | "cancelled" | null;
  result: unknown;
  /** Whether a result was stored (a handler's `null` is a result: JSON null, not SQL NULL). */
  has_result: boolean;
  error: JobError | null;
  progress: unknown;
  finished_at: Date | null;
  /** The completed step ids (`stepIdsColumn`); absent where the query does not select them. */
  steps?: string[] | null;
}

/** The select list of a live job `j` (graphile-worker's `_private_jobs`) with task `t` and state `s`. */
export const LIVE_JOB_COLUMNS = `
  j.id::text as id, t.identifier as name, j.payload, j.attempts,
  coalesce(s.original_max_attempts, j.max_attempts) as max_attempts, true as live,
  j.locked_at is not null as locked, j.attempts >= j.max_attempts as exhausted,
  j.run_at > now() as due_later, j.run_at, j.last_error, j.created_at, j.updated_at,
  null::text as state, null::json as result, false as has_result, s.error, s.progress,
  null::timestamptz as finished_at`;

/** The select list of a finished job `f` (`switchyard_finished`) with task `t` and state `s`. */
export const FINISHED_JOB_COLUMNS = `
  f.job_id::text as id, t.identifier as name, null::json as payload, f.attempts,
  coalesce(s.original_max_attempts, f.max_attempts) as max_attempts, false as live,
  null::boolean as locked, null::boolean as exhausted, null::boolean as due_later,
  null::timestamptz as run_at, null::text as last_error, f.created_at, null::timestamptz as updated_at,
  case when f.cancelled or s.outcome = 'cancelled' then 'cancelled' else 'completed' end as state,
  case when f.cancelled or s.outcome = 'cancelled' then null else s.result end as result,
  not (f.cancelled or s.outcome is not distinct from 'cancelled') and s.result is not null as has_result,
  s.error, s.progress, f.finished_at`;

export function toJobSnapshot(row: JobRow): JobSnapshot {
  let state: JobState;
  if (!row.live) state = row.state ?? "completed";
  else if (row.locked) state = "active";
  else if (row.exhausted) state = "failed";
  else if (row.due_later) state = "delayed";
  else state = "waiting";
  // A finished job's payload is not kept: graphile-worker deletes it with the job (see README). A live
  // job's payload is any JSON value, null included.
  const snapshot: JobSnapshot = {
    id: row.id,
    name: row.name,
    state,
    payload: row.live ? row.payload : undefined,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
  };
  if (row.progress !== null && row.progress !== undefined)
    snapshot.progress = row.progress as JobSnapshot["progress"];
  if (row.has_result) snapshot.result = row.result;
  const error = row.error ?? (row.last_error ? { message: row.last_error } : undefined);
  if (error && state !== "completed") snapshot.error = error;
  if (row.created_at) snapshot.createdAt = row.created_at;
  if (state === "delayed" && row.run_at) snapshot.runAt = row.run_at;
  if (row.steps && row.steps.length > 0) snapshot.steps = row.steps;
  if (row.finished_at) snapshot.finishedAt = row.finished_at;
  else if (state === "failed" && row.updated_at) snapshot.finishedAt = row.updated_at;
  return snapshot;
}
