import type { JobError } from "@switchyard/core";
import { type Queryable, schemaSql } from "./queryable.js";

/** What an attempt decided, for the release trigger to apply when graphile-worker releases the job. */
export type RecordedOutcome = "retry" | "failed" | "permanent" | "released" | "cancelled";

/** Records the outcome of job `id`'s attempt, with its error and, for a retry, the delay before it. */
export async function recordOutcome(
  db: Queryable,
  schema: string,
  id: string,
  outcome: { kind: RecordedOutcome; error: JobError; delayMs?: number | undefined },
): Promise<void> {
  await db.query({
    name: `switchyard_outcome/${schema}`,
    text: `insert into ${schemaSql(schema)}.switchyard_job_state (job_id, outcome, outcome_run_at, error)
           values ($1::bigint, $2::text, now() + $3::float8 * interval '1 millisecond', $4::json)
           on conflict (job_id) do update set
             outcome = excluded.outcome, outcome_run_at = excluded.outcome_run_at, error = excluded.error`,
    values: [id, outcome.kind, outcome.delayMs ?? 0, JSON.stringify(outcome.error)],
  });
}
