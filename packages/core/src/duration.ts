import { ConfigError } from "./errors/config-error.js";
import { describeValue } from "./option-checks.js";

/** A span of time: milliseconds as a number, or a string such as `"250ms"`, `"30s"`, `"5m"`, `"2h"`, `"7d"`. */
export type Duration = number | `${number}${DurationUnit}`;
type DurationUnit = "ms" | "s" | "m" | "h" | "d";

const UNIT_MS: Record<DurationUnit, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/**
 * The longest duration Switchyard accepts anywhere (delays, timeouts, ttls, backoff): 10 years.
 * Longer values are almost always a unit mistake, and past it backends disagree (PostgreSQL's
 * timestamp range, BullMQ's delayed-job score), so one bound holds on every backend.
 */
export const MAX_DURATION_MS = 10 * 365 * 86_400_000;

/**
 * Converts a Duration to whole milliseconds; throws a ConfigError naming `what` when it is not one
 * or is longer than MAX_DURATION_MS (10 years).
 */
export function toMilliseconds(duration: Duration, what = "duration"): number {
  let ms: number;
  if (typeof duration === "number") {
    if (!Number.isFinite(duration) || duration < 0) {
      throw new ConfigError(`${what} must be a non-negative number of milliseconds, got ${duration}`);
    }
    ms = Math.round(duration);
  } else {
    const match = typeof duration === "string" ? DURATION_PATTERN.exec(duration.trim()) : null;
    if (!match) {
      throw new ConfigError(
        `${what} must look like "250ms", "30s", "5m", "2h" or "1d" (or a number of milliseconds), got ${describeValue(duration)}`,
      );
    }
    ms = Math.round(Number(match[1]) * UNIT_MS[match[2] as DurationUnit]);
  }
  if (ms > MAX_DURATION_MS) {
    throw new ConfigError(`${what} must be at most 10 years (${MAX_DURATION_MS} ms), got ${ms} ms`);
  }
  return ms;
}
