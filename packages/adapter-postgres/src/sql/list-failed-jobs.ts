import { type JobRow, LIVE_JOB_COLUMNS } from "../job-snapshot.js";
import { type Queryable, schemaSql } from "./queryable.js";
import { stepIdsColumn } from "./step-ids.js";

/**
 * The failed jobs of the named jobs (`names`: the client's own, so that other apps sharing the schema are
 * not listed; none for an operator's client with no jobs, the CLI or the dashboard: every job of the
 * schema), or of `job` among them, most recently failed first.
 */
export async function listFailedJobs(
  db: Queryable,
  schema: string,
  options: { names: ReadonlyArray<string>; job: string | undefined; limit: number },
): Promise<JobRow[]> {
  const quoted = schemaSql(schema);
  const { rows } = await db.query<JobRow>(
    `select ${LIVE_JOB_COLUMNS}, ${stepIdsColumn(quoted, "j.id")}
       from ${quoted}._private_jobs j
       join ${quoted}._private_tasks t on t.id = j.task_id
       left join ${quoted}.switchyard_job_state s on s.job_id = j.id
      where j.locked_at is null and j.attempts >= j.max_attempts
        and (cardinality($1::text[]) = 0 or t.identifier = any($1::text[]))
        and ($2::text is null or t.identifier = $2::text)
      order by j.updated_at desc, j.id desc
      limit $3::int`,
    [options.names, options.job ?? null, options.limit],
  );
  return rows;
}
