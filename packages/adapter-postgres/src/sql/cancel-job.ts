import { type Queryable, schemaSql } from "./queryable.js";

/**
 * Cancels job `id` (`switchyard_cancel`): a waiting or delayed job ends at once; a running one is flagged
 * and its worker told by `notification`. False when the job is finished or unknown.
 */
export async function cancelJob(
  db: Queryable,
  schema: string,
  id: string,
  notification: string,
): Promise<boolean> {
  const { rows } = await db.query<{ cancelled: boolean }>(
    `select ${schemaSql(schema)}.switchyard_cancel($1::bigint, $2::text) as cancelled`,
    [id, notification],
  );
  return rows[0]?.cancelled === true;
}
