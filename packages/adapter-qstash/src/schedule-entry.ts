import type { JobDefinition, ScheduleEntry } from "@switchyard/core";
import type { CreateScheduleRequest, Schedule } from "@upstash/qstash";
import type { AccountKeys } from "./account-keys.js";
import { deliveryTarget } from "./destination-url.js";
import { jobMessageSettings, type PublishContext } from "./publish-request.js";
import { parseStoredBody } from "./stored-body.js";

/** `CRON_TZ=<IANA zone> ` before the five fields (upstash/docs qstash/features/schedules.mdx). */
const CRON_TZ = /^CRON_TZ=(\S+)\s+(.+)$/;

/**
 * A Switchyard schedule as a QStash schedule: the job's delivery URL and message settings, the payload
 * as the JSON body, the zone as a `CRON_TZ=` prefix (QStash evaluates cron in UTC otherwise), and an
 * id escaped into QStash's `[A-Za-z0-9._-]`. Creating with an existing id replaces the schedule.
 */
export function createScheduleRequest(
  entry: ScheduleEntry,
  job: JobDefinition,
  context: PublishContext,
): CreateScheduleRequest {
  const settings = jobMessageSettings(job, context);
  const zoned = entry.timezone !== undefined && entry.timezone !== "UTC";
  return {
    destination: settings.url,
    cron: zoned ? `CRON_TZ=${entry.timezone} ${entry.cron}` : (entry.cron as string),
    scheduleId: context.keys.scheduleId(entry.id),
    body: JSON.stringify(entry.payload ?? {}),
    headers: { "Content-Type": "application/json" },
    retries: settings.retries,
    label: settings.label,
    ...(settings.flowControl ? { flowControl: settings.flowControl } : {}),
  };
}

/** A QStash schedule of this namespace back as a ScheduleEntry; undefined for anyone else's. */
export function scheduleEntryOf(schedule: Schedule, keys: AccountKeys): ScheduleEntry | undefined {
  const id = keys.switchyardScheduleId(schedule.scheduleId);
  const target = deliveryTarget(schedule.destination);
  if (id === undefined || !target) return undefined;
  const zoned = CRON_TZ.exec(schedule.cron.trim());
  const entry: ScheduleEntry = {
    id,
    job: target.job,
    cron: zoned ? (zoned[2] as string) : schedule.cron,
    payload: parseStoredBody(schedule.body, schedule.bodyBase64),
  };
  if (zoned) entry.timezone = zoned[1] as string;
  if (schedule.nextScheduleTime) entry.nextRunAt = new Date(schedule.nextScheduleTime);
  return entry;
}
