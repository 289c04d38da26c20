/**
 * Inngest's retry schedule: after attempt `n` (0-based) fails, the next try
 * waits `TABLE[n]` (the last entry once past the end) plus 0–30 s of random
 * jitter (G:pkg/backoff/backoff.go:9-57, used by
 * G:pkg/execution/queue/process.go:509-520).
 */
const BACKOFF_TABLE_MS = [
  15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_200_000, 2_400_000, 3_600_000, 7_200_000,
] as const;
const MAX_JITTER_MS = 30_000;

/** Retry-After is clipped to [1 s, 24 h] (G:pkg/consts/consts.go:73-78, httpdriver/parse.go:128-150). */
const MIN_RETRY_AFTER_MS = 1_000;
const MAX_RETRY_AFTER_MS = 86_400_000;

/** Real (unscaled) delay before the retry that follows failed attempt `attempt`. */
export function backoffDelayMs(attempt: number, jitter: boolean, random = Math.random): number {
  const index = Math.min(Math.max(attempt, 0), BACKOFF_TABLE_MS.length - 1);
  const base = BACKOFF_TABLE_MS[index] as number;
  return base + (jitter ? Math.floor(random() * MAX_JITTER_MS) : 0);
}

/**
 * Real (unscaled) delay asked for by a `Retry-After` header: up to 7
 * characters is whole seconds, anything longer a date; clipped to
 * [1 s, 24 h] (G:pkg/execution/driver/httpdriver/parse.go:128-165). The SDK
 * writes seconds or an ISO date for `RetryAfterError`
 * (I:components/RetryAfterError.js:27-37). Undefined when unparseable.
 */
export function retryAfterDelayMs(header: string | null | undefined, nowMs = Date.now()): number | undefined {
  if (!header) return undefined;
  let delay: number | undefined;
  if (header.length <= 7 && /^\d+$/.test(header.trim())) {
    const seconds = Number(header.trim());
    if (seconds > 0) delay = seconds * 1_000;
  }
  if (delay === undefined) {
    const at = Date.parse(header);
    if (Number.isNaN(at)) return undefined;
    delay = at - nowMs;
  }
  return Math.min(Math.max(delay, MIN_RETRY_AFTER_MS), MAX_RETRY_AFTER_MS);
}
