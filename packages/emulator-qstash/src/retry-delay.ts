import { parseGoDuration } from "./duration.js";
import type { RetryDelayFn } from "./retry-delay-expression.js";

/** "Each delay is capped at 1 day" (qstash/features/retry.mdx). */
export const MAX_RETRY_DELAY_MS = 86_400_000;

/**
 * Default backoff, qstash/features/retry.mdx: `delay = min(86400, e ** (2.5*n))` seconds where n is
 * "how many times this request has been retried"; its table starts at n=1 → 12 s, so the first
 * retry uses n=1 [inferred from that table].
 */
export function defaultBackoffMs(retriesSoFar: number): number {
  const n = retriesSoFar + 1;
  return Math.min(MAX_RETRY_DELAY_MS, Math.exp(2.5 * n) * 1_000);
}

/**
 * Response headers that override the next delay, in the order the docs list them
 * (qstash/features/retry.mdx "Retry-After Headers").
 */
const RETRY_AFTER_HEADERS = [
  "retry-after",
  "x-ratelimit-reset",
  "x-ratelimit-reset-requests",
  "x-ratelimit-reset-tokens",
];

/**
 * Reads a retry time chosen by the destination: seconds, an RFC 1123 date or a Go duration.
 * Values above one day are ignored ("the backoff algorithm will be applied"), so undefined is
 * returned and the caller falls back to its backoff.
 * @param nowMs real unix ms, to turn a date into a delay (dates are wall-clock times)
 */
export function retryAfterMs(
  headers: Record<string, string | string[] | undefined>,
  nowMs: number,
): number | undefined {
  for (const name of RETRY_AFTER_HEADERS) {
    const raw = headers[name];
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (value === undefined || value.trim() === "") continue;
    const ms = parseRetryAfterValue(value.trim(), nowMs);
    if (ms === undefined) continue;
    return ms > MAX_RETRY_DELAY_MS ? undefined : Math.max(0, ms);
  }
  return undefined;
}

function parseRetryAfterValue(value: string, nowMs: number): number | undefined {
  if (/^\d+(?:\.\d+)?$/.test(value)) return Number(value) * 1_000;
  const goDuration = parseGoDuration(value);
  if (goDuration !== undefined) return goDuration;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : date - nowMs;
}

/**
 * Delay before the next attempt after a failed one (emulator-clock ms):
 * - a message without `Upstash-Retry-Delay`: a `Retry-After`-style answer, else the default backoff
 *   ("Instead of using the default backoff algorithm, you can specify when QStash should retry",
 *   qstash/features/retry.mdx);
 * - a message with it: the expression (evaluated with `retried` = retries done so far, 0 for the
 *   first retry, OA Upstash-Retry-Delay), unless `retryAfterOverridesRetryDelay`, then the answer
 *   first. Which of the two QStash applies is [unconfirmed]: the docs contrast a `Retry-After`
 *   answer with the default backoff only.
 */
export function nextRetryDelayMs(options: {
  retriesSoFar: number;
  expression?: RetryDelayFn;
  responseHeaders?: Record<string, string | string[] | undefined>;
  realNowMs: number;
  retryAfterOverridesRetryDelay: boolean;
}): number {
  const fromResponse = options.responseHeaders
    ? retryAfterMs(options.responseHeaders, options.realNowMs)
    : undefined;
  if (fromResponse !== undefined && (!options.expression || options.retryAfterOverridesRetryDelay)) {
    return fromResponse;
  }
  if (options.expression) {
    const value = options.expression(options.retriesSoFar);
    if (Number.isFinite(value)) return Math.max(0, value);
  }
  return defaultBackoffMs(options.retriesSoFar);
}
