import type { Switchyard } from "@switchyard/core";
import { triggerBackendOf } from "./trigger-backend.js";
import type { TriggerTasks } from "./trigger-tasks.js";

/**
 * Defines the Trigger.dev tasks of a client's jobs, for a project's `trigger/` folder:
 *
 * ```ts
 * // trigger/jobs.ts
 * import { toTriggerTasks } from "@switchyard/adapter-trigger";
 * import { jobs } from "../src/jobs.js"; // createSwitchyard({ backend: trigger(...), jobs: [...] })
 *
 * export const { sendEmail, dailyReport, dailyReportSchedule, switchyardSchedules } = toTriggerTasks(jobs);
 * ```
 *
 * Each job becomes a `schemaTask` with the job's name as id, its retry policy, concurrency and a
 * `catchError` that applies core's retry decisions; each schedule declared in `defineJob`
 * becomes a `schedules.task` with its cron and time zone; `switchyardSchedules` runs the
 * schedules made with `jobs.schedules.upsert`. The Trigger.dev CLI finds them when it imports
 * the file (`trigger.dev dev`, `trigger.dev deploy`); export every one.
 *
 * Calling it again for the same client returns the same task objects (Trigger.dev refuses two
 * tasks with one id). Throws a ConfigError when the client's backend is not `trigger()`.
 */
export function toTriggerTasks(jobs: Switchyard): TriggerTasks {
  return triggerBackendOf(jobs).tasks();
}
