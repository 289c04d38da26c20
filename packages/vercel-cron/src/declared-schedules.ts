import { type AnyJobDefinition, ConfigError, type ScheduleEntry } from "@switchyard/core";
import { describeValue } from "@switchyard/core/adapter";
import { toVercelSchedule } from "./vercel-schedule.js";

/** A declared schedule that Vercel Cron can drive, with its job. */
export interface VercelSchedule {
  job: AnyJobDefinition;
  entry: ScheduleEntry;
  /** The five-field UTC cron Vercel runs. */
  cron: string;
}

/**
 * Every schedule the jobs declare (`defineJob({ schedule })`), by id, each checked for Vercel: a
 * schedule Vercel cannot run at its exact times, or two schedules with one id, is a ConfigError.
 */
export function declaredSchedules(
  jobs: ReadonlyArray<AnyJobDefinition>,
  where: string,
): Map<string, VercelSchedule> {
  if (!Array.isArray(jobs)) {
    throw new ConfigError(
      `${where}: jobs must be an array of jobs made by defineJob(), got ${describeValue(jobs)}`,
    );
  }
  const schedules = new Map<string, VercelSchedule>();
  for (const [index, job] of jobs.entries()) {
    if (typeof job?.name !== "string" || !Array.isArray(job.schedules)) {
      throw new ConfigError(
        `${where}: jobs[${index}] is not a job made by defineJob(), got ${describeValue(job)}`,
      );
    }
    for (const entry of job.schedules) {
      const other = schedules.get(entry.id);
      if (other) {
        throw new ConfigError(
          `${where}: jobs "${other.job.name}" and "${job.name}" both declare a schedule "${entry.id}"; schedule ids must be unique`,
        );
      }
      schedules.set(entry.id, { job, entry, cron: toVercelSchedule(entry) });
    }
  }
  return schedules;
}
