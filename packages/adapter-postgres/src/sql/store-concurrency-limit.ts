import { type Queryable, schemaSql } from "./queryable.js";

/**
 * Stores the concurrency limit a worker's definition gives job `name` (`null`: none) where every process
 * reads it (`switchyard_set_concurrency`). When it changes, the job's waiting jobs are spread over the new
 * limit's lanes. Says whether it changed, and the limit stored before (`undefined`: none was stored).
 */
export async function storeConcurrencyLimit(
  db: Queryable,
  schema: string,
  name: string,
  limit: number | null,
): Promise<{ changed: boolean; previous: number | null | undefined }> {
  const { rows } = await db.query<{ changed: boolean; previous: number | null; stored: boolean }>(
    `select changed, previous, stored from ${schemaSql(schema)}.switchyard_set_concurrency($1::text, $2::int)`,
    [name, limit],
  );
  const row = rows[0]!;
  return { changed: row.changed, previous: row.stored ? row.previous : undefined };
}
