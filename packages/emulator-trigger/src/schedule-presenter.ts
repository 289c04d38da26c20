import type { EmulatedEnvironment } from "./emulated-environment.js";
import type { ScheduleRecord } from "./schedule-record.js";

/**
 * A schedule as the API returns it (C:schemas/api.js ScheduleObject). The deduplication key is
 * only reported when the caller chose it; `nextRunEffectiveAt` equals `nextRun` since windows
 * are not applied.
 */
export function presentSchedule(schedule: ScheduleRecord, environment: EmulatedEnvironment) {
  const nextRun = schedule.active ? (schedule.nextRun?.toISOString() ?? null) : null;
  return {
    id: schedule.id,
    type: schedule.type,
    task: schedule.taskIdentifier,
    active: schedule.active,
    deduplicationKey: schedule.userProvidedDeduplicationKey ? schedule.deduplicationKey : null,
    externalId: schedule.externalId ?? null,
    generator: { type: "CRON" as const, expression: schedule.cron, description: schedule.description },
    timezone: schedule.timezone,
    window: schedule.window,
    nextRun,
    nextRunEffectiveAt: nextRun,
    environments: [{ id: environment.id, type: environment.type, userName: null }],
  };
}
