import { Cron } from "croner";

/**
 * A validated schedule cron: five fields (minute hour day-of-month month day-of-week, `L`
 * allowed), evaluated in an IANA timezone with daylight saving respected
 * (C:schemas/api.js CreateScheduleOptions `cron` and `timezone` docs).
 */
export class CronExpression {
  readonly #cron: Cron;

  /** Throws a readable Error for an invalid expression or timezone. */
  constructor(
    readonly expression: string,
    readonly timezone: string,
  ) {
    assertTimezone(timezone);
    try {
      this.#cron = new Cron(expression, { timezone, paused: true, mode: "5-part" });
    } catch (error) {
      throw new Error(
        `Invalid cron expression "${expression}": ${error instanceof Error ? error.message : error}`,
      );
    }
  }

  /** The first occurrence strictly after `after`. */
  next(after: Date): Date | undefined {
    return this.#cron.nextRun(after) ?? undefined;
  }

  /** The next `count` occurrences strictly after `after`. */
  upcoming(after: Date, count: number): Date[] {
    return this.#cron.nextRuns(count, after);
  }
}

export function assertTimezone(timezone: string): void {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
  } catch {
    throw new Error(`Invalid timezone "${timezone}"`);
  }
}

/** `GET /api/v1/timezones`: UTC first unless excluded, then every IANA zone the runtime knows. */
export function listTimezones(excludeUtc: boolean): string[] {
  const zones = Intl.supportedValuesOf("timeZone").filter((zone) => zone !== "UTC");
  return excludeUtc ? zones : ["UTC", ...zones];
}
