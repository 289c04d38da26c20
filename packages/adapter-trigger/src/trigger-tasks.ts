import { ConfigError } from "@switchyard/core";
import type { JobRuntime } from "@switchyard/core/adapter";
import type { AnyTask } from "@trigger.dev/sdk";
import { exportName } from "./export-names.js";
import { jobTask } from "./job-task.js";
import { declaredScheduleTask, scheduleRouterTask } from "./schedule-tasks.js";

/**
 * The Trigger.dev tasks of a client's jobs, by export name: one `schemaTask` per job (`emailSend`
 * for `email.send`), one `schedules.task` per schedule declared in `defineJob`
 * (`dailyReportSchedule`), and the scheduled task behind `jobs.schedules.upsert`
 * (`switchyardSchedules`).
 */
export type TriggerTasks = Readonly<Record<string, AnyTask>>;

export function buildTriggerTasks(runtime: JobRuntime, scheduleTaskId: string): TriggerTasks {
  const tasks: Record<string, AnyTask> = {};
  const add = (name: string, task: AnyTask) => {
    if (Object.hasOwn(tasks, name)) {
      throw new ConfigError(
        `toTriggerTasks: two tasks would be exported as "${name}" (${tasks[name]!.id} and ${task.id}); rename a job or schedule`,
      );
    }
    tasks[name] = task;
  };
  for (const job of runtime.jobs.values()) {
    add(exportName(job.name), jobTask(job, runtime));
    for (const entry of job.schedules) add(`${exportName(entry.id)}Schedule`, declaredScheduleTask(entry));
  }
  add(exportName(scheduleTaskId), scheduleRouterTask(scheduleTaskId));
  return Object.freeze(tasks);
}
