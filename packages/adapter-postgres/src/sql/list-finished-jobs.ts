import { FINISHED_JOB_COLUMNS, type JobRow } from "../job-snapshot.js";
import { type Queryable, schemaSql } from "./queryable.js";
import { stepIdsColumn } from "./step-ids.js";

/**
 * Up to `limit` completed (or, with `cancelled`, cancelled) jobs from the finished records, of the
 * jobs named `names`, newest (highest id) first, with an id below `before` when given: a keyset page.
 */
export async function listFinishedJobs(
  db: Queryable,
  schema: string,
  options: { cancelled: boolean; names: ReadonlyArray<string>; before: string | undefined; limit: number },
): Promise<JobRow[]> {
  const quoted = schemaSql(schema);
  const { rows } = await db.query<JobRow>(
    `select ${FINISHED_JOB_COLUMNS}, ${stepIdsColumn(quoted, "f.job_id")}
       from ${quoted}.switchyard_finished f
       join ${quoted}._private_tasks t on t.id = f.task_id
       left join ${quoted}.switchyard_job_state s on s.job_id = f.job_id
      where (f.cancelled or s.outcome is not distinct from 'cancelled') = $4::boolean
        and t.identifier = any($1::text[])
        and ($2::bigint is null or f.job_id < $2::bigint)
      order by f.job_id desc
      limit $3::int`,
    [options.names, options.before ?? null, options.limit, options.cancelled],
  );
  return rows;
}
