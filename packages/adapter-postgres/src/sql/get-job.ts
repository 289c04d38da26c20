import { FINISHED_JOB_COLUMNS, type JobRow, LIVE_JOB_COLUMNS } from "../job-snapshot.js";
import { type Queryable, schemaSql } from "./queryable.js";
import { stepIdsColumn } from "./step-ids.js";

/** Job `id`, from graphile-worker's table while it lives, else from the adapter's finished records. */
export async function getJob(db: Queryable, schema: string, id: string): Promise<JobRow | undefined> {
  const quoted = schemaSql(schema);
  const { rows } = await db.query<JobRow>({
    name: `switchyard_get/${schema}`,
    text: `select ${LIVE_JOB_COLUMNS}, ${stepIdsColumn(quoted, "j.id")}
             from ${quoted}._private_jobs j
             join ${quoted}._private_tasks t on t.id = j.task_id
             left join ${quoted}.switchyard_job_state s on s.job_id = j.id
            where j.id = $1::bigint
           union all
           select ${FINISHED_JOB_COLUMNS}, ${stepIdsColumn(quoted, "f.job_id")}
             from ${quoted}.switchyard_finished f
             join ${quoted}._private_tasks t on t.id = f.task_id
             left join ${quoted}.switchyard_job_state s on s.job_id = f.job_id
            where f.job_id = $1::bigint
           limit 1`,
    values: [id],
  });
  return rows[0];
}
