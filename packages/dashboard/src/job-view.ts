// What the browser gets of a job: JSON-safe, dates as ISO strings, the payload redacted.
import type { JobSnapshot, ScheduleEntry } from "@switchyard/core";
import type { Redactor } from "./redact.js";

/** A row of a list: no payload, result or progress (the detail page has them). */
export function jobSummary(job: JobSnapshot) {
  return {
    id: job.id,
    name: job.name,
    state: job.state,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    error: job.error?.message,
    createdAt: job.createdAt?.toISOString(),
    runAt: job.runAt?.toISOString(),
    finishedAt: job.finishedAt?.toISOString(),
  };
}

export function jobDetail(job: JobSnapshot, redact: Redactor) {
  return {
    ...jobSummary(job),
    payload: redact(job.payload, job.name),
    error: job.error,
    progress: job.progress,
    result: job.result,
    steps: job.steps,
  };
}

export function scheduleView(entry: ScheduleEntry, redact: Redactor) {
  return {
    id: entry.id,
    job: entry.job,
    cron: entry.cron,
    timezone: entry.timezone,
    everyMs: entry.everyMs,
    payload: redact(entry.payload, entry.job),
    nextRunAt: entry.nextRunAt?.toISOString(),
    declared: entry.declared,
  };
}
