// A declared schedule as Vercel Cron can run it: a five-field cron in UTC, at minute precision.
import { ConfigError, type ScheduleEntry } from "@switchyard/core";
import { cronHasSeconds } from "@switchyard/core/adapter";

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
/** Time zones that are UTC under another name: Vercel runs every cron in UTC. */
const UTC_ZONES = new Set(["UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/Zulu", "Zulu"]);

/**
 * The Vercel cron expression of a declared schedule, or a ConfigError saying why it has none. Never
 * a different time: a schedule in another time zone, with seconds, or with an interval no cron can
 * repeat exactly, is refused rather than rounded.
 */
export function toVercelSchedule(entry: ScheduleEntry): string {
  const where = `Vercel Cron: schedule "${entry.id}" of job "${entry.job}"`;
  if (entry.everyMs !== undefined) return everyAsCron(entry.everyMs, where);
  const cron = entry.cron?.trim();
  if (!cron) throw new ConfigError(`${where} has neither cron nor every`);
  if (entry.timezone !== undefined && !UTC_ZONES.has(entry.timezone)) {
    throw new ConfigError(
      `${where} runs in ${entry.timezone}, but Vercel runs crons in UTC only: write the cron in UTC (and drop timezone), or drive this schedule another way`,
    );
  }
  if (cronHasSeconds(cron)) {
    throw new ConfigError(
      `${where} has a seconds field (${JSON.stringify(cron)}), but Vercel crons have minute precision: use five fields`,
    );
  }
  checkVercelSyntax(cron, where);
  return cron.split(/\s+/).join(" ");
}

/**
 * Vercel's cron syntax (vercel.com/docs/cron-jobs, "Cron expressions"): numbers, `*`, `,`, `-` and
 * `/` only (no names such as MON or JAN, no croner extensions such as L, W, # or ?), and day of month
 * and day of week are not both restricted (one of them must be `*`).
 */
function checkVercelSyntax(cron: string, where: string): void {
  const fields = cron.split(/\s+/);
  const odd = fields.find((field) => !/^[0-9*,/-]+$/.test(field));
  if (odd !== undefined) {
    throw new ConfigError(
      `${where}: Vercel crons take numbers, *, ",", "-" and "/" only, got ${JSON.stringify(odd)} in ${JSON.stringify(cron)}`,
    );
  }
  if (fields[2] !== "*" && fields[4] !== "*") {
    throw new ConfigError(
      `${where}: Vercel does not take a day of month and a day of week together (one must be *), got ${JSON.stringify(cron)}`,
    );
  }
}

/**
 * An `every` interval as the cron that fires at the same pace: whole minutes dividing an hour, or
 * whole hours dividing a day, aligned on the UTC clock (every 15 minutes fires at :00, :15, :30, :45).
 * Anything else (7 minutes, 5 hours, 2 days) has no exact cron and is refused.
 */
function everyAsCron(everyMs: number, where: string): string {
  if (everyMs % MINUTE_MS === 0 && everyMs < HOUR_MS && HOUR_MS % everyMs === 0) {
    const minutes = everyMs / MINUTE_MS;
    return minutes === 1 ? "* * * * *" : `*/${minutes} * * * *`;
  }
  const day = 24 * HOUR_MS;
  if (everyMs % HOUR_MS === 0 && everyMs <= day && day % everyMs === 0) {
    const hours = everyMs / HOUR_MS;
    if (hours === 24) return "0 0 * * *";
    return hours === 1 ? "0 * * * *" : `0 */${hours} * * *`;
  }
  throw new ConfigError(
    `${where} repeats every ${everyMs} ms, which no Vercel cron repeats exactly: use whole minutes dividing an hour, whole hours dividing a day, or a cron`,
  );
}
