import type { ResolvedRetryPolicy } from "@switchyard/core";
import type { RetryOptions } from "@trigger.dev/sdk";

/** Trigger.dev wants a ceiling on every delay; this one (~24.8 days) means "no ceiling". */
const NO_CEILING_MS = 2_147_483_647;

/** Trigger.dev's run engine gives up after this many attempts, whatever the task says. */
export const MAX_TRIGGER_ATTEMPTS = 250;

/**
 * The task's `retry` settings for a job's policy: `maxAttempts` counts every attempt (the first
 * included) in both; exponential is `minTimeoutInMs · factor^(attempt-1)` capped at
 * `maxTimeoutInMs` in both; fixed is factor 1. `randomize` stays off: Trigger.dev's multiplies a
 * delay by 1-2, Switchyard's jitter only shortens it, so jitter is applied by the policy instead.
 *
 * Every retry the handler causes gets its exact delay from core's policy through `catchError`
 * (see job-task.ts); these settings are what the dashboard shows and what the platform uses when
 * an attempt dies without reporting (a crashed process).
 */
export function triggerRetryOptions(policy: ResolvedRetryPolicy): RetryOptions {
  const { backoff } = policy;
  const fixed = backoff.type === "fixed";
  return {
    maxAttempts: policy.maxAttempts,
    factor: fixed ? 1 : backoff.factor,
    minTimeoutInMs: backoff.delayMs,
    maxTimeoutInMs: fixed ? backoff.delayMs : (backoff.maxMs ?? NO_CEILING_MS),
    randomize: false,
  };
}
