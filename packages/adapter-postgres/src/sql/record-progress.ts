import type { JobProgress } from "@switchyard/core";
import { type Queryable, schemaSql } from "./queryable.js";

/** Stores the progress job `id`'s handler reported (`ctx.progress()`). */
export async function recordProgress(
  db: Queryable,
  schema: string,
  id: string,
  progress: JobProgress,
): Promise<void> {
  await db.query({
    name: `switchyard_progress/${schema}`,
    text: `insert into ${schemaSql(schema)}.switchyard_job_state (job_id, progress) values ($1::bigint, $2::json)
           on conflict (job_id) do update set progress = excluded.progress`,
    values: [id, JSON.stringify(progress)],
  });
}
