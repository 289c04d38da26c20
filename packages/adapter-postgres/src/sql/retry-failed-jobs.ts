import { type Queryable, schemaSql } from "./queryable.js";

/**
 * Runs up to `limit` failed jobs of the jobs named `names` again, newest first, as `retryJob` does for
 * one: attempts back to 0, maxAttempts restored, due now, recorded error and outcome cleared. Rows
 * another transaction holds are skipped, not waited for; idle workers are told once, with the count.
 * Returns the ids retried.
 */
export async function retryFailedJobs(
  db: Queryable,
  schema: string,
  options: { names: ReadonlyArray<string>; limit: number },
): Promise<string[]> {
  const quoted = schemaSql(schema);
  const { rows } = await db.query<{ ids: string[] }>(
    `with picked as (
       select j.id from ${quoted}._private_jobs j
        where j.locked_at is null and j.attempts >= j.max_attempts
          and j.task_id in (select t.id from ${quoted}._private_tasks t where t.identifier = any($1::text[]))
        order by j.id desc
        limit $2::int
        for update skip locked
     ), j as (
       update ${quoted}._private_jobs j
          set attempts = 0,
              max_attempts = coalesce(
                (select s.original_max_attempts from ${quoted}.switchyard_job_state s where s.job_id = j.id),
                j.max_attempts),
              run_at = now(), last_error = null, updated_at = now()
         from picked p
        where j.id = p.id
        returning j.id
     ), s as (
       update ${quoted}.switchyard_job_state s
          set original_max_attempts = null, error = null, outcome = null, outcome_run_at = null
         from j where s.job_id = j.id
     )
     select coalesce(array_agg(j.id::text order by j.id desc), '{}') as ids,
            case when count(*) > 0
                 then pg_notify('jobs:insert', json_build_object('count', count(*))::text) end as notified
       from j`,
    [options.names, options.limit],
  );
  return rows[0]?.ids ?? [];
}
