import { type Queryable, schemaSql } from "./queryable.js";

/**
 * Runs failed job `id` again: attempts back to 0 and its maxAttempts restored (a permanent failure lowered
 * it), due now, its recorded error and outcome cleared; idle workers are told. False when it is not failed.
 */
export async function retryJob(db: Queryable, schema: string, id: string): Promise<boolean> {
  const quoted = schemaSql(schema);
  const { rows } = await db.query(
    `with j as (
       update ${quoted}._private_jobs j
          set attempts = 0,
              max_attempts = coalesce(
                (select s.original_max_attempts from ${quoted}.switchyard_job_state s where s.job_id = j.id),
                j.max_attempts),
              run_at = now(), last_error = null, updated_at = now()
        where j.id = $1::bigint and j.locked_at is null and j.attempts >= j.max_attempts
        returning j.id
     ), s as (
       update ${quoted}.switchyard_job_state s
          set original_max_attempts = null, error = null, outcome = null, outcome_run_at = null
         from j where s.job_id = j.id
     )
     select j.id, pg_notify('jobs:insert', '{"count":1}') from j`,
    [id],
  );
  return rows.length > 0;
}
