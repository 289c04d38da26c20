import { ConfigError, type ScheduleEntry } from "@switchyard/core";

/**
 * A declared schedule as an Inngest cron trigger: five fields, the zone as a `TZ=` prefix
 * (https://www.inngest.com/docs/guides/scheduled-functions). UTC needs no prefix.
 */
export function cronTrigger(entry: ScheduleEntry): string {
  const cron = (entry.cron ?? "").trim();
  return entry.timezone && entry.timezone !== "UTC" ? `TZ=${entry.timezone} ${cron}` : cron;
}

/**
 * The job's declared schedules by cron trigger, to find a scheduled run's payload: Inngest's
 * `inngest/scheduled.timer` event carries the trigger (`data.cron`) but no payload. Two schedules
 * of one job with the same cron and zone could not be told apart, so they are refused.
 */
export function schedulesByTrigger(
  jobName: string,
  entries: ReadonlyArray<ScheduleEntry>,
): Map<string, ScheduleEntry> {
  const byTrigger = new Map<string, ScheduleEntry>();
  for (const entry of entries) {
    const trigger = cronTrigger(entry);
    const other = byTrigger.get(trigger);
    if (other) {
      throw new ConfigError(
        `job "${jobName}": schedules "${other.id}" and "${entry.id}" share the cron "${trigger}"; on Inngest a job's schedules must differ in cron or timezone`,
      );
    }
    byTrigger.set(trigger, entry);
  }
  return byTrigger;
}
