import type { ResolvedRetryPolicy } from "@switchyard/core";

/**
 * The job's backoff as an `Upstash-Retry-Delay` expression: milliseconds, evaluated by QStash after
 * each failed attempt with `retried` = retries so far, 0 before the first retry (upstash/docs
 * qstash/openapi.yaml, Upstash-Retry-Delay). Core's `backoffDelay(policy, retry)` counts retries from 1,
 * so `retry - 1 = retried`:
 * - fixed: `delay` (capped by `max`);
 * - exponential: `delay * factor^retried`, wrapped in `min(max, …)` when the policy has a max.
 * Jitter is not in the expression (QStash's functions have no random one): the handler answers with
 * `Retry-After` instead, see attempt-response.ts.
 */
export function retryDelayExpression(policy: ResolvedRetryPolicy): string {
  const { type, delayMs, factor, maxMs } = policy.backoff;
  if (type === "fixed" || factor === 1) {
    return String(maxMs === undefined ? delayMs : Math.min(delayMs, maxMs));
  }
  const growth = `${delayMs} * pow(${factor}, retried)`;
  const rounded = Number.isInteger(factor) ? growth : `round(${growth})`;
  return maxMs === undefined ? rounded : `min(${maxMs}, ${rounded})`;
}
