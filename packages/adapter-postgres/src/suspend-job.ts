// The `suspended` outcome of an attempt (a step sleeps, or waits for a child job). graphile-worker has no
// way to put a running job back without counting an attempt, so the adapter does as for its other
// outcomes: it records the outcome, then the task throws so that graphile-worker releases the job (its
// "fail" statement: lock, named queue and slot freed, no transaction held); the release trigger
// (switchyard_tg_job_released) applies the outcome in that same statement: run_at = the suspension's
// end, attempts given back (graphile-worker counted one when it locked the job), last_error unchanged.

import { quoteIdentifier } from "./adapter-schema.js";
import { type RetryScope, retryWhileTransient } from "./outcome-retries.js";
import type { StepTables } from "./step-store.js";

const SUSPENDED = Symbol.for("switchyard.postgres.suspended");

/**
 * Records that job `id` is to run again at `until` without counting this attempt (written again until the
 * database answers, like the other outcomes). The due time is relative (the database's now() plus what is
 * left by this process's clock), so a clock skew between hosts does not move it.
 */
export async function recordSuspension(
  tables: StepTables,
  id: string,
  until: Date,
  scope: RetryScope,
): Promise<void> {
  const quoted = quoteIdentifier(tables.schema);
  const delayMs = Math.max(0, until.getTime() - Date.now());
  await retryWhileTransient(
    () =>
      tables.pool.query({
        name: `switchyard_suspend/${tables.schema}`,
        text: `insert into ${quoted}.switchyard_job_state (job_id, outcome, outcome_run_at)
               values ($1::bigint, 'suspended', now() + $2::float8 * interval '1 millisecond')
               on conflict (job_id) do update set
                 outcome = excluded.outcome, outcome_run_at = excluded.outcome_run_at`,
        values: [id, delayMs],
      }),
    scope,
    `suspending job ${id}`,
  );
}

/** What the task throws for a suspension: graphile-worker releases the job (and logs nothing for it). */
export function suspendedRelease(id: string, until: Date): Error {
  const error = new Error(`job ${id} suspended until ${until.toISOString()} (a durable step)`);
  Object.defineProperty(error, SUSPENDED, { value: true });
  return error;
}

/** True for the error of `suspendedRelease`. */
export function isSuspendedRelease(error: unknown): boolean {
  return typeof error === "object" && error !== null && SUSPENDED in error;
}
