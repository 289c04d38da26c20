import type { ResolvedRetryPolicy } from "./interfaces.js";

/**
 * The delay before retry number `retry` (1 for the retry after the first attempt), in milliseconds.
 * Exponential: `delay * factor^(retry-1)`, capped at `max`; jitter then shortens it by up to `jitter`·delay.
 * `random` is injectable so tests can pin the jitter.
 */
export function backoffDelay(
  policy: ResolvedRetryPolicy,
  retry: number,
  random: () => number = Math.random,
): number {
  const { type, delayMs, factor, maxMs } = policy.backoff;
  const base = type === "fixed" ? delayMs : delayMs * factor ** Math.max(0, retry - 1);
  const capped = maxMs === undefined ? base : Math.min(base, maxMs);
  return Math.round(capped * (1 - policy.jitter * random()));
}
