import type { ScheduleEntry } from "@switchyard/core";
import { NOTIFY_CHANNEL } from "../notification-listener.js";
import { type Queryable, schemaSql } from "./queryable.js";

/**
 * Creates or replaces schedule `entry.id`, and tells the workers by `notification`. An unchanged schedule
 * keeps its next run (a redeploy does not postpone an interval); `declared` (from defineJob) is stored so
 * that core's sync can remove the declared schedules the code no longer declares.
 */
export async function upsertSchedule(
  db: Queryable,
  schema: string,
  entry: ScheduleEntry,
  options: { declared: boolean; payloadJson: string; nextRunAt: Date | undefined; notification: string },
): Promise<void> {
  const quoted = schemaSql(schema);
  await db.query(
    `with upserted as (
       insert into ${quoted}.switchyard_schedules as s
         (id, job, cron, timezone, every_ms, payload, next_run_at, declared, updated_at)
       values ($1, $2, $3, $4, $5, $6::json, coalesce($7::timestamptz, 'infinity'), $9::boolean, now())
       on conflict (id) do update set
         next_run_at = case
           when (s.job, s.cron, s.timezone, s.every_ms, s.payload::text)
                is not distinct from
                (excluded.job, excluded.cron, excluded.timezone, excluded.every_ms, excluded.payload::text)
           then s.next_run_at else excluded.next_run_at end,
         job = excluded.job, cron = excluded.cron, timezone = excluded.timezone,
         every_ms = excluded.every_ms, payload = excluded.payload, declared = excluded.declared,
         updated_at = now()
       returning id
     )
     select pg_notify('${NOTIFY_CHANNEL}', $8::text) from upserted`,
    [
      entry.id,
      entry.job,
      entry.cron ?? null,
      entry.timezone ?? null,
      entry.everyMs ?? null,
      options.payloadJson,
      options.nextRunAt?.toISOString() ?? null,
      options.notification,
      options.declared,
    ],
  );
}
