import { type Queryable, schemaSql } from "./queryable.js";

/** A stored schedule, as `switchyard_schedules` holds it. */
export interface ScheduleRow {
  id: string;
  job: string;
  cron: string | null;
  timezone: string | null;
  every_ms: string | null;
  payload: unknown;
  next_run_at: Date;
  declared: boolean;
}

/** Every stored schedule, by id. */
export async function listSchedules(db: Queryable, schema: string): Promise<ScheduleRow[]> {
  const { rows } = await db.query<ScheduleRow>(
    `select id, job, cron, timezone, every_ms, payload, next_run_at, declared
       from ${schemaSql(schema)}.switchyard_schedules order by id`,
  );
  return rows;
}
