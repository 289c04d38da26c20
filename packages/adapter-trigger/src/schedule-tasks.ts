import type { ScheduleEntry } from "@switchyard/core";
import { AbortTaskRunError, type AnyTask, idempotencyKeys, schedules, tasks } from "@trigger.dev/sdk";
import { triggerPriority } from "./trigger-priority.js";

/** One tick of a Trigger.dev schedule, as a scheduled task receives it (the fields used here). */
interface ScheduleTick {
  scheduleId: string;
  timestamp: Date;
  externalId?: string;
}

/** Schedules created with `jobs.schedules.upsert` carry a deduplication key with this prefix. */
export const SCHEDULE_KEY_PREFIX = "switchyard:";

/**
 * The id of the `schedules.task` that carries a schedule declared with `defineJob`:
 * `<schedule id>.schedule`, with `:` (allowed in schedule ids) written as `.`.
 */
export function declaredScheduleTaskId(scheduleId: string): string {
  return `${scheduleId.replaceAll(":", ".")}.schedule`;
}

/**
 * A schedule declared with `defineJob({ schedule })`: a `schedules.task` with the cron and time
 * zone, which Trigger.dev syncs as a DECLARATIVE schedule when the tasks are deployed. Each tick
 * triggers the job's task with the declared payload, so the scheduled run is an ordinary run of
 * the job (its retries, concurrency, `get`, `listFailed`).
 */
export function declaredScheduleTask(entry: ScheduleEntry): AnyTask {
  return schedules.task({
    id: declaredScheduleTaskId(entry.id),
    description: `Switchyard schedule "${entry.id}" of job "${entry.job}"`,
    cron: { pattern: entry.cron!, timezone: entry.timezone ?? "UTC" },
    run: (tick) => triggerScheduledRun(entry.job, entry.payload, tick),
  }) as AnyTask;
}

/**
 * The task behind every schedule made with `jobs.schedules.upsert` (`schedules.create`, an
 * IMPERATIVE schedule). Trigger.dev schedules carry no payload, only an `externalId`, so the
 * adapter keeps `{ job, payload }` there as JSON; each tick triggers that job with that payload.
 */
export function scheduleRouterTask(id: string): AnyTask {
  return schedules.task({
    id,
    description: "Runs the Switchyard schedules created with jobs.schedules.upsert",
    run: (tick) => {
      const target = decodeScheduleTarget(tick.externalId);
      if (!target) throw new AbortTaskRunError(`schedule ${tick.scheduleId} names no Switchyard job`);
      return triggerScheduledRun(target.job, target.payload, tick);
    },
  }) as AnyTask;
}

export function encodeScheduleTarget(entry: Pick<ScheduleEntry, "job" | "payload">): string {
  return JSON.stringify({ job: entry.job, payload: entry.payload });
}

export function decodeScheduleTarget(
  externalId: string | null | undefined,
): { job: string; payload: unknown } | undefined {
  if (!externalId) return undefined;
  try {
    const value = JSON.parse(externalId) as { job?: unknown; payload?: unknown };
    return typeof value?.job === "string" ? { job: value.job, payload: value.payload } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Triggers the job's task for one tick. The idempotency key (schedule and tick time, global scope)
 * makes a retried tick run trigger the job once.
 */
async function triggerScheduledRun(job: string, payload: unknown, tick: ScheduleTick) {
  const idempotencyKey = await idempotencyKeys.create(
    `${SCHEDULE_KEY_PREFIX}${tick.scheduleId}:${tick.timestamp.toISOString()}`,
    { scope: "global" },
  );
  const handle = await tasks.trigger(job, payload, { idempotencyKey, priority: triggerPriority() });
  return { job, runId: handle.id };
}
