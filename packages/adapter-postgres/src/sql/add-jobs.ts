import { NOTIFY_CHANNEL } from "../notification-listener.js";
import { batchRunAtSql, laneQueueNameSql, type NewJob } from "./new-job.js";
import { type Queryable, schemaSql } from "./queryable.js";

/**
 * Adds unkeyed jobs in one `add_jobs` statement (with `notification`, the due times of delayed ones, so
 * that nothing is written unless all of it is) and returns their ids in the order given. The specs' JSON
 * is written by hand: each payload is serialised once. `json_to_recordset` reads a JSON `null` payload as
 * SQL NULL, which `add_jobs` would store as `{}`: it is put back as JSON `null`.
 */
export async function addJobs(
  db: Queryable,
  schema: string,
  jobs: ReadonlyArray<NewJob>,
  notification: string | null,
): Promise<string[]> {
  const quoted = schemaSql(schema);
  const names = new Map<string, string>();
  const specs = jobs.map((job) => {
    let name = names.get(job.name);
    if (name === undefined) {
      name = JSON.stringify(job.name);
      names.set(job.name, name);
    }
    return (
      `{"identifier":${name},"payload":${job.payloadJson},"lane_base":${JSON.stringify(job.lane.base)},` +
      `"lane_turn":${job.lane.turn},"fallback_limit":${job.lane.fallbackLimit ?? "null"},` +
      `"run_at":${job.runAt ? `"${job.runAt.toISOString()}"` : "null"},"max_attempts":${job.maxAttempts},` +
      `"priority":${job.priority ?? "null"},"flags":${job.flags ? JSON.stringify(job.flags) : "null"},"i":${job.index}}`
    );
  });
  // The lane limits are read once per job name (switchyard_lane_limits), not once per job.
  const { rows } = await db.query<AddedJob>(
    `with limits as materialized (select * from ${quoted}.switchyard_lane_limits($3::text[]))
     select id::text as id, payload::text as payload,
            ${quoted}.switchyard_task_identifier(task_id) as identifier
            ${notification === null ? "" : `, (select pg_notify('${NOTIFY_CHANNEL}', $4::text)) as notified`}
       from ${quoted}.add_jobs(array(
         select row(s.identifier, coalesce(s.payload, 'null'::json),
                    ${laneQueueNameSql("s.lane_base", "s.lane_turn", "case when l.stored then l.concurrency else s.fallback_limit end")},
                    ${batchRunAtSql("s.run_at", "s.i", "$2::int")},
                    s.max_attempts, null, s.priority, s.flags)::${quoted}.job_spec
           from json_to_recordset($1::json) as s(identifier text, payload json, lane_base text, lane_turn bigint,
                fallback_limit int, run_at timestamptz, max_attempts smallint, priority smallint, flags text[], i int)
           join limits l on l.job_name = s.identifier
          order by s.i))`,
    [
      `[${specs.join(",")}]`,
      jobs.length,
      [...names.keys()],
      ...(notification === null ? [] : [notification]),
    ],
  );
  return matchIds(jobs, rows);
}

interface AddedJob {
  id: string;
  payload: string;
  identifier: string;
}

/**
 * The id of each added job, in request order. `add_jobs` returns rows in insertion order, which follows
 * the request order; should a plan ever reorder them, rows are matched back by job name and payload (jobs
 * with the same name and payload in one batch are interchangeable; a batch mixes names).
 */
export function matchIds(jobs: ReadonlyArray<NewJob>, rows: ReadonlyArray<AddedJob>): string[] {
  const keyOf = (name: string, payload: string) => JSON.stringify([name, payload]);
  if (
    rows.length === jobs.length &&
    rows.every(
      (row, index) => row.payload === jobs[index]!.payloadJson && row.identifier === jobs[index]!.name,
    )
  ) {
    return rows.map((row) => row.id);
  }
  const byJob = new Map<string, string[]>();
  for (const row of [...rows].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1))) {
    const key = keyOf(row.identifier, row.payload);
    const ids = byJob.get(key);
    if (ids) ids.push(row.id);
    else byJob.set(key, [row.id]);
  }
  return jobs.map((job) => {
    const id = byJob.get(keyOf(job.name, job.payloadJson))?.shift();
    if (id === undefined) throw new Error("postgres: add_jobs returned fewer jobs than were enqueued");
    return id;
  });
}
