import { type Capabilities, requireFeature } from "./capabilities.js";
import { cronHasSeconds } from "./cron.js";
import type { JobDefinition, ScheduleEntry } from "./interfaces.js";

/** Fails closed at `createSwitchyard`: throws NotSupportedError for any job setting the backend cannot honour. */
export function checkJobSupport(capabilities: Capabilities, job: JobDefinition): void {
  const where = `job "${job.name}"`;
  const { backoff, jitter } = job.retry;
  requireFeature(
    capabilities,
    `retry.backoff.${backoff.type}`,
    `${where}: retry.backoff.type "${backoff.type}"`,
  );
  if (backoff.maxMs !== undefined)
    requireFeature(capabilities, "retry.backoff.max", `${where}: retry.backoff.max`);
  if (jitter > 0) requireFeature(capabilities, "retry.jitter", `${where}: retry.jitter`);
  if (job.concurrency !== undefined) requireFeature(capabilities, "job.concurrency", `${where}: concurrency`);
  if (job.timeoutMs !== undefined) requireFeature(capabilities, "job.timeout", `${where}: timeout`);
  if (job.idempotencyKey) requireFeature(capabilities, "idempotency", `${where}: idempotencyKey`);
  if (job.idempotencyTtlMs !== undefined)
    requireFeature(capabilities, "idempotency.ttl", `${where}: idempotencyTtl`);
  for (const schedule of job.schedules) checkScheduleSupport(capabilities, schedule);
}

/** Throws NotSupportedError for a schedule the backend cannot run. */
export function checkScheduleSupport(capabilities: Capabilities, schedule: ScheduleEntry): void {
  const where = `schedule "${schedule.id}"`;
  if (schedule.cron !== undefined) {
    requireFeature(capabilities, "schedule.cron", `${where}: cron`);
    if (cronHasSeconds(schedule.cron))
      requireFeature(capabilities, "schedule.seconds", `${where}: cron seconds field`);
  }
  if (schedule.everyMs !== undefined) requireFeature(capabilities, "schedule.every", `${where}: every`);
  if (schedule.timezone !== undefined && schedule.timezone !== "UTC") {
    requireFeature(capabilities, "schedule.timezone", `${where}: timezone`);
  }
}
