import { Cron } from "croner";

/** A cron trigger split into its schedule and IANA timezone. */
export interface CronSchedule {
  /** The expression as synced, prefix included (sent back as `data.cron`). */
  expression: string;
  /** The 5-field schedule without the prefix. */
  pattern: string;
  /** IANA zone from a `TZ=` / `CRON_TZ=` prefix; UTC when absent. */
  timezone: string;
}

/**
 * Splits `TZ=Europe/Paris 0 2 * * *` into zone and pattern. Inngest documents
 * the `TZ=` prefix (https://www.inngest.com/docs/guides/scheduled-functions);
 * its parser, robfig/cron, also reads `CRON_TZ=`. Only the standard 5 fields
 * are accepted: the server parses with Minute|Hour|Dom|Month|Dow
 * (G:pkg/inngest/trigger.go:211-217), so a seconds field is refused.
 * Throws on an invalid expression or zone.
 */
export function parseCronSchedule(expression: string): CronSchedule {
  const match = /^\s*(?:CRON_TZ|TZ)=(\S+)\s+(.*)$/.exec(expression);
  const timezone = match?.[1] ?? "UTC";
  const pattern = (match?.[2] ?? expression).trim();
  if (pattern.split(/\s+/).length !== 5) {
    throw new Error(`'${expression}' isn't a valid cron schedule: Inngest takes 5 fields`);
  }
  // Validates pattern and zone (croner throws on either).
  new Cron(pattern, { timezone, mode: "5-part", paused: true }).nextRun();
  return { expression, pattern, timezone };
}

/** The next `count` fire times after `from`. */
export function nextCronFires(schedule: CronSchedule, count: number, from = new Date()): Date[] {
  return new Cron(schedule.pattern, { timezone: schedule.timezone, mode: "5-part", paused: true }).nextRuns(
    count,
    from,
  );
}

/**
 * Starts firing `onFire(scheduledAt)` on the wall clock (not scaled by the
 * time scale). Day-of-month and day-of-week combine with OR, as in
 * robfig/cron. Returns a stop function.
 */
export function startCronSchedule(schedule: CronSchedule, onFire: (scheduledAt: Date) => void): () => void {
  const job = new Cron(
    schedule.pattern,
    { timezone: schedule.timezone, mode: "5-part", unref: true, domAndDow: false },
    (self: Cron) => {
      onFire(self.currentRun() ?? new Date());
    },
  );
  return () => job.stop();
}
