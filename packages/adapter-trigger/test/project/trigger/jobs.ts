// What the Trigger.dev CLI imports (trigger.config.ts `dirs`): one task per job, one scheduled task
// per declared schedule, and the task behind jobs.schedules.upsert. Export every one.
import { toTriggerTasks } from "@switchyard/adapter-trigger";
import { jobs } from "../src/jobs.js";

export const {
  liveEcho,
  liveFlaky,
  liveSlow,
  livePermanent,
  liveReport,
  liveReportSchedule,
  switchyardSchedules,
} = toTriggerTasks(jobs);
