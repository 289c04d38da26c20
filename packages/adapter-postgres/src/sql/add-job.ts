import { NOTIFY_CHANNEL } from "../notification-listener.js";
import { batchRunAtSql, type NewJob, queueNameSql } from "./new-job.js";
import { type Queryable, schemaSql } from "./queryable.js";

/**
 * Adds one job with graphile-worker's `add_job` and returns its id; `notification` (the due time of a
 * delayed job) is sent in the same statement, so it is sent only if the job is stored.
 */
export async function addJob(
  db: Queryable,
  schema: string,
  job: NewJob,
  options: { notification: string | null; prepared: boolean },
): Promise<string> {
  const { notification } = options;
  const quoted = schemaSql(schema);
  const { rows } = await db.query<{ id: string }>({
    name: options.prepared ? `switchyard_add${notification === null ? "" : "_due"}/${schema}` : undefined,
    text: `select id::text as id${notification === null ? "" : `, pg_notify('${NOTIFY_CHANNEL}', $12::text)`}
             from ${quoted}.add_job(
               identifier => $1::text, payload => $2::json,
               queue_name => ${queueNameSql(quoted, "$1::text", { base: "$3::text", turn: "$4::bigint", fallbackLimit: "$5::int" })},
               run_at => ${batchRunAtSql("$6::timestamptz", "$9::int", "$10::int")},
               max_attempts => $7::int, priority => $8::int, flags => $11::text[])`,
    values: [
      job.name,
      job.payloadJson,
      job.lane.base,
      job.lane.turn,
      job.lane.fallbackLimit,
      job.runAt?.toISOString() ?? null,
      job.maxAttempts,
      job.priority ?? null,
      job.index,
      job.count,
      job.flags,
      ...(notification === null ? [] : [notification]),
    ],
  });
  return rows[0]!.id;
}
