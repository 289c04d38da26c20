import { batchRunAtSql, type NewJob, queueNameSql } from "./new-job.js";
import { type Queryable, schemaSql } from "./queryable.js";

/**
 * Adds one job under an idempotency key (`switchyard_add_job_once`): claims the key and adds the job, or
 * returns the id of the job holding the key (`deduplicated`).
 */
export async function addJobOnce(
  db: Queryable,
  schema: string,
  job: NewJob,
  key: { key: string; ttlMs: number },
  options: { notification: string | null; prepared: boolean },
): Promise<{ id: string; deduplicated: boolean }> {
  const quoted = schemaSql(schema);
  const { rows } = await db.query<{ id: string; deduplicated: boolean }>({
    name: options.prepared ? `switchyard_add_once/${schema}` : undefined,
    text: `select job_id::text as id, deduplicated from ${quoted}.switchyard_add_job_once(
             $1::text, $2::json,
             ${queueNameSql(quoted, "$1::text", { base: "$3::text", turn: "$4::bigint", fallbackLimit: "$5::int" })},
             ${batchRunAtSql("$6::timestamptz", "$9::int", "$10::int")},
             $7::int, $8::int, $11::text, $12::bigint, $13::text, $14::text[])`,
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
      key.key,
      key.ttlMs,
      options.notification,
      job.flags,
    ],
  });
  return { id: rows[0]!.id, deduplicated: rows[0]!.deduplicated };
}
