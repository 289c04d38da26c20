import { type JobRow, LIVE_JOB_COLUMNS } from "../job-snapshot.js";
import { LIVE_STATE_CONDITION, type LiveState } from "./job-state-predicates.js";
import { type Queryable, schemaSql } from "./queryable.js";
import { stepIdsColumn } from "./step-ids.js";

/**
 * Up to `limit` jobs in `state` among those still in graphile-worker's table, of the jobs named
 * `names`, newest (highest id) first, with an id below `before` when given: a keyset page.
 */
export async function listLiveJobs(
  db: Queryable,
  schema: string,
  options: { state: LiveState; names: ReadonlyArray<string>; before: string | undefined; limit: number },
): Promise<JobRow[]> {
  const quoted = schemaSql(schema);
  const { rows } = await db.query<JobRow>(
    `select ${LIVE_JOB_COLUMNS}, ${stepIdsColumn(quoted, "j.id")}
       from ${quoted}._private_jobs j
       join ${quoted}._private_tasks t on t.id = j.task_id
       left join ${quoted}.switchyard_job_state s on s.job_id = j.id
      where ${LIVE_STATE_CONDITION[options.state]}
        and t.identifier = any($1::text[])
        and ($2::bigint is null or j.id < $2::bigint)
      order by j.id desc
      limit $3::int`,
    [options.names, options.before ?? null, options.limit],
  );
  return rows;
}
