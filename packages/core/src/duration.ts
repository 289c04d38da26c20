import { ConfigError } from "./errors/config-error.js";

/** A span of time: milliseconds as a number, or a string such as `"250ms"`, `"30s"`, `"5m"`, `"2h"`, `"7d"`. */
export type Duration = number | `${number}${DurationUnit}`;
type DurationUnit = "ms" | "s" | "m" | "h" | "d";

const UNIT_MS: Record<DurationUnit, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** Converts a Duration to whole milliseconds; throws a ConfigError naming `what` when it is not one. */
export function toMilliseconds(duration: Duration, what = "duration"): number {
  if (typeof duration === "number") {
    if (!Number.isFinite(duration) || duration < 0) {
      throw new ConfigError(`${what} must be a non-negative number of milliseconds, got ${duration}`);
    }
    return Math.round(duration);
  }
  const match = DURATION_PATTERN.exec(String(duration).trim());
  if (!match) {
    throw new ConfigError(
      `${what} must look like "250ms", "30s", "5m", "2h" or "1d", got ${JSON.stringify(duration)}`,
    );
  }
  return Math.round(Number(match[1]) * UNIT_MS[match[2] as DurationUnit]);
}
