import { hasErrorCode, type JobError, RETRY_AFTER_ERROR_CODE } from "@switchyard/core";
import type { AttemptOutcome } from "@switchyard/core/adapter";

/**
 * QStash's non-retryable signal: status 489 with `Upstash-NonRetryable-Error: true` sends the message
 * to the dead-letter queue at once (upstash/docs qstash/features/retry.mdx).
 */
const NON_RETRYABLE_STATUS = 489;
const NON_RETRYABLE_HEADER = "Upstash-NonRetryable-Error";

/** QStash ignores a `Retry-After` beyond one day and falls back to the backoff (features/retry.mdx). */
export const MAX_RETRY_AFTER_MS = 86_400_000;

/** The retry answer's status: 503 for a RetryAfterError (the handler asked to be called later), else 500. */
const RETRY_STATUS = 500;
const RETRY_LATER_STATUS = 503;

const MAX_MESSAGE_LENGTH = 2_000;

/**
 * The JSON body of every answer to a delivery. QStash keeps the body of failed attempts (log entries in
 * state ERROR, dead-letter entries), which is where `get` and `listFailed` read the error back from.
 */
export interface AttemptReport {
  switchyard: 1;
  status: "completed" | "retry" | "failed" | "cancelled";
  /** The attempt that produced this answer, 1 first. */
  attempt: number;
  error?: JobError;
}

/**
 * The answer to one delivery, from core's decision (`decideAttemptOutcome` via `runAttempt`):
 * - completed: 200;
 * - retry: 500, or 503 for a RetryAfterError, always with `Retry-After` = the delay core chose (the
 *   job's backoff with its jitter, or the RetryAfterError's). Messages carry no `Upstash-Retry-Delay`:
 *   QStash documents `Retry-After` as used "instead of the default backoff algorithm"
 *   (qstash/features/retry.mdx) and says nothing of which wins over a custom expression, so the
 *   adapter never sends both. A delivery that gets no answer (a crash, a timeout) is retried after
 *   QStash's default backoff (12 s, 2 min 28 s, 30 min, ...);
 * - failed (permanent, or no attempt left) and cancelled: 489 + `Upstash-NonRetryable-Error: true`, so
 *   QStash stops exactly when core says so.
 */
export function attemptResponse(
  outcome: AttemptOutcome,
  attempt: number,
  options: { log?: (message: string) => void } = {},
): Response {
  switch (outcome.type) {
    case "completed":
      return jsonResponse(200, { switchyard: 1, status: "completed", attempt } satisfies AttemptReport);
    case "retry": {
      const retryAfter = hasErrorCode(outcome.cause, RETRY_AFTER_ERROR_CODE);
      if (outcome.delayMs > MAX_RETRY_AFTER_MS) {
        options.log?.(
          `retry in ${outcome.delayMs} ms asked for, but QStash honours Retry-After up to one day: retrying in one day`,
        );
      }
      const headers = { "Retry-After": formatRetryAfter(Math.min(outcome.delayMs, MAX_RETRY_AFTER_MS)) };
      const body: AttemptReport = { switchyard: 1, status: "retry", attempt, error: clip(outcome.error) };
      return jsonResponse(retryAfter ? RETRY_LATER_STATUS : RETRY_STATUS, body, headers);
    }
    case "failed":
    case "cancelled": {
      const body: AttemptReport = {
        switchyard: 1,
        status: outcome.type,
        attempt,
        error: clip(outcome.error),
      };
      return jsonResponse(NON_RETRYABLE_STATUS, body, { [NON_RETRYABLE_HEADER]: "true" });
    }
  }
}

/** Whole seconds when exact (`"2"`), else a Go duration in milliseconds (`"1500ms"`); both are documented forms. */
export function formatRetryAfter(delayMs: number): string {
  const ms = Math.max(0, Math.round(delayMs));
  return ms % 1_000 === 0 ? String(ms / 1_000) : `${ms}ms`;
}

/** Reads an AttemptReport back from a response body QStash stored; undefined for anything else. */
export function parseAttemptReport(body: string | undefined): AttemptReport | undefined {
  if (!body) return undefined;
  try {
    const value = JSON.parse(body) as Partial<AttemptReport>;
    if (value?.switchyard !== 1 || typeof value.status !== "string" || typeof value.attempt !== "number") {
      return undefined;
    }
    return value as AttemptReport;
  } catch {
    return undefined;
  }
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

function clip(error: JobError): JobError {
  if (error.message.length <= MAX_MESSAGE_LENGTH) return error;
  return { ...error, message: `${error.message.slice(0, MAX_MESSAGE_LENGTH)}…` };
}
