import { nextCronTime, previousCronTime } from "@switchyard/core/adapter";

/**
 * How early a call may come and still stand for the fire time after it. Vercel's clock and this
 * server's differ a little: a call a few seconds before 03:00 is the 03:00 run, and read as the
 * previous tick it would be deduplicated against that one and the 03:00 run skipped.
 */
export const EARLY_CALL_WINDOW_MS = 60_000;

/**
 * The fire time a call at `now` stands for: the schedule's next fire time when it is at most
 * EARLY_CALL_WINDOW_MS away and nearer than the last one (so a schedule firing every minute keeps
 * each call on its own tick), else the last fire time at or before `now`. Undefined when neither is.
 */
export function tickOf(cron: string, now: Date): Date | undefined {
  const previous = previousCronTime(cron, "UTC", now);
  const next = nextCronTime(cron, "UTC", now);
  if (next) {
    const untilNext = next.getTime() - now.getTime();
    const sincePrevious = previous ? now.getTime() - previous.getTime() : Number.POSITIVE_INFINITY;
    if (untilNext <= EARLY_CALL_WINDOW_MS && untilNext < sincePrevious) return next;
  }
  return previous;
}
