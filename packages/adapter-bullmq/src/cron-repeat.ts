import { nextCronTime } from "@switchyard/core/adapter";
import type { RepeatStrategy } from "bullmq";

/**
 * When a cron schedule fires next: core's `nextCronTime` (croner), the rule of every backend, instead
 * of BullMQ's cron-parser, which disagrees at daylight-saving changes (`30 2 * * *` in New York on
 * 2027-03-14, a day without 02:30: croner fires at 03:00 EDT, 07:00Z; cron-parser at 07:30Z).
 * BullMQ calls it when a schedule is stored (the queue's) and when a run is taken to plan the next one
 * (the worker's): both are given it. `millis` is now, or the time of the run just taken; the next run
 * is strictly after it, and not before the schedule's `startDate` (inclusive).
 */
export const cronRepeatStrategy: RepeatStrategy = (millis, opts) => {
  if (!opts.pattern) return undefined;
  const start = opts.startDate === undefined ? Number.NEGATIVE_INFINITY : new Date(opts.startDate).getTime();
  const after = Math.max(millis, start - 1);
  return nextCronTime(opts.pattern, opts.tz ?? "UTC", new Date(after))?.getTime();
};
