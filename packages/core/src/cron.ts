import { Cron } from "croner";
import { ConfigError } from "./errors/config-error.js";

/** Throws ConfigError unless `zone` is an IANA time zone this runtime knows. */
export function assertTimezone(zone: string, where: string): void {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
  } catch {
    throw new ConfigError(
      `${where}: unknown time zone ${JSON.stringify(zone)}; use an IANA name such as "Europe/Paris"`,
    );
  }
}

/** Throws ConfigError unless `expression` is a 5-field cron (or 6 with seconds first). Validated by croner. */
export function assertCron(expression: string, where: string): void {
  const fields = expression.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) {
    throw new ConfigError(
      `${where}: cron ${JSON.stringify(expression)} must have 5 fields (or 6 with seconds first)`,
    );
  }
  try {
    new Cron(expression, { paused: true });
  } catch (error) {
    throw new ConfigError(
      `${where}: invalid cron ${JSON.stringify(expression)}: ${(error as Error).message}`,
    );
  }
}

/** True when the cron expression has a seconds field. */
export function cronHasSeconds(expression: string): boolean {
  return expression.trim().split(/\s+/).length === 6;
}

/** The first time strictly after `after` at which the cron fires in `timezone` (default UTC). */
export function nextCronTime(
  expression: string,
  timezone: string | undefined,
  after: Date,
): Date | undefined {
  return new Cron(expression, { paused: true, timezone: timezone ?? "UTC" }).nextRun(after) ?? undefined;
}

/** The last time at or before `atOrBefore` at which the cron fired in `timezone` (default UTC). */
export function previousCronTime(
  expression: string,
  timezone: string | undefined,
  atOrBefore: Date,
): Date | undefined {
  // croner's previousRuns counts a run earlier in the reference's own second; 1 ms later makes a run
  // exactly at the reference count too.
  const reference = new Date(atOrBefore.getTime() + 1);
  return new Cron(expression, { paused: true, timezone: timezone ?? "UTC" }).previousRuns(1, reference)[0];
}
