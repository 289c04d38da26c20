import { type Queryable, schemaSql } from "./queryable.js";

/** Deletes schedule `id`; false when there was none. */
export async function removeSchedule(db: Queryable, schema: string, id: string): Promise<boolean> {
  const { rowCount } = await db.query(`delete from ${schemaSql(schema)}.switchyard_schedules where id = $1`, [
    id,
  ]);
  return (rowCount ?? 0) > 0;
}
