import type { JobCounts, JobState } from "@switchyard/core";
import { FINISHED_STATE_SQL, LIVE_STATE_SQL } from "./job-state-predicates.js";
import { type Queryable, schemaSql } from "./queryable.js";

/**
 * Jobs per state of the jobs named `names`: live ones from graphile-worker's table, completed and
 * cancelled ones from the finished records (kept for keepFinished). One scan of each.
 */
export async function countJobs(
  db: Queryable,
  schema: string,
  names: ReadonlyArray<string>,
): Promise<JobCounts> {
  const quoted = schemaSql(schema);
  const { rows } = await db.query<{ state: JobState; count: number }>(
    `with tasks as (
       select t.id from ${quoted}._private_tasks t where t.identifier = any($1::text[])
     ), states as (
       select ${LIVE_STATE_SQL} as state
         from ${quoted}._private_jobs j
        where j.task_id in (select id from tasks)
       union all
       select ${FINISHED_STATE_SQL} as state
         from ${quoted}.switchyard_finished f
         left join ${quoted}.switchyard_job_state s on s.job_id = f.job_id
        where f.task_id in (select id from tasks)
     )
     select state, count(*)::int as count from states group by state`,
    [names],
  );
  const counts: JobCounts = {};
  for (const row of rows) counts[row.state] = row.count;
  return counts;
}
