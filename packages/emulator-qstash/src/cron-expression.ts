import { Cron } from "croner";
import { badRequest } from "./http-error.js";

export interface CronSchedule {
  /** The expression as given, prefix included (QStash returns it unchanged). */
  expression: string;
  /** IANA zone from a `CRON_TZ=` prefix; undefined means UTC. */
  timezone?: string;
  /** First tick strictly after `afterMs` (emulator clock), unix ms. */
  nextAfter(afterMs: number): number | undefined;
}

/**
 * Parses an `Upstash-Cron` value: five fields (minute resolution), evaluated in UTC unless prefixed
 * with `CRON_TZ=<IANA zone> ` (qstash/features/schedules.mdx "We use UTC"; OA:1642-1665 CRON_TZ).
 * Day-of-month and day-of-week combine with OR when both are restricted, as in Vixie cron and
 * Go's robfig/cron [inferred: QStash does not document it]; croner's default does the same.
 */
export function parseCron(expression: string): CronSchedule {
  const trimmed = expression.trim();
  const match = /^CRON_TZ=(\S+)\s+(.+)$/.exec(trimmed);
  const timezone = match?.[1];
  const pattern = match ? (match[2] as string) : trimmed;
  if (timezone !== undefined) {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    } catch {
      throw badRequest(`invalid cron timezone: ${timezone}`);
    }
  }
  let cron: Cron;
  try {
    cron = new Cron(pattern, { mode: "5-part", timezone: timezone ?? "UTC" });
  } catch (error) {
    throw badRequest(`invalid cron expression ${JSON.stringify(expression)}: ${(error as Error).message}`);
  }
  return {
    expression,
    ...(timezone === undefined ? {} : { timezone }),
    nextAfter(afterMs) {
      return cron.nextRun(new Date(afterMs))?.getTime();
    },
  };
}
