import { toMilliseconds } from "./duration.js";
import { ConfigError } from "./errors/config-error.js";
import type { StopOptions } from "./interfaces.js";
import { checkOptions, describeValue } from "./option-checks.js";

/** Stop options with defaults applied and the timeout in milliseconds. */
export interface ResolvedStopOptions {
  graceful: boolean;
  /** Absent: wait for running attempts for ever (graceful) or not at all. */
  timeoutMs?: number;
}

/**
 * Checks `worker.stop()` options before anything stops, so a bad timeout is a ConfigError and
 * leaves the worker running as it was (validate first, act second).
 */
export function resolveStopOptions(options: StopOptions | undefined): ResolvedStopOptions {
  const checked = checkOptions(options, "worker.stop()", ["graceful", "timeout"]);
  const graceful = checked.graceful ?? true;
  if (typeof graceful !== "boolean") {
    throw new ConfigError(`worker.stop(): graceful must be true or false, got ${describeValue(graceful)}`);
  }
  if (checked.timeout === undefined) return { graceful };
  return { graceful, timeoutMs: toMilliseconds(checked.timeout, "worker.stop(): timeout") };
}
