import { type Queryable, schemaSql } from "./queryable.js";

/** Stores job `id`'s result, just before graphile-worker deletes the completed job. */
export async function recordResult(
  db: Queryable,
  schema: string,
  id: string,
  result: unknown,
): Promise<void> {
  await db.query({
    name: `switchyard_result/${schema}`,
    text: `insert into ${schemaSql(schema)}.switchyard_job_state (job_id, result) values ($1::bigint, $2::json)
           on conflict (job_id) do update set result = excluded.result`,
    values: [id, JSON.stringify(result)],
  });
}
