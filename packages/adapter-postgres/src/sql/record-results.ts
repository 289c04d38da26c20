import { type Queryable, schemaSql } from "./queryable.js";

/**
 * Stores the results of several jobs in one statement, just before graphile-worker deletes them (the
 * results of attempts that end together, merged by result-writes.ts). `results` holds each job once.
 */
export async function recordResults(
  db: Queryable,
  schema: string,
  results: ReadonlyArray<{ id: string; result: unknown }>,
): Promise<void> {
  await db.query({
    name: `switchyard_results/${schema}`,
    text: `insert into ${schemaSql(schema)}.switchyard_job_state (job_id, result)
           select (e->>0)::bigint, e->1 from json_array_elements($1::json) as e
           on conflict (job_id) do update set result = excluded.result`,
    values: [JSON.stringify(results.map(({ id, result }) => [id, result]))],
  });
}
