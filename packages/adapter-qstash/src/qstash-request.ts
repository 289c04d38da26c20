import { BackendUnavailableError, ConfigError } from "@switchyard/core";
import { describeFailure, type FetchFailure, fetchFailure } from "@switchyard/core/adapter";
import { QstashError } from "@upstash/qstash";
import { QStashApiError } from "./qstash-api-error.js";

/** How a QStash call that failed at the network level is tried again (the resolved `retry` option). */
export interface RequestRetry {
  /** Further tries after the first. */
  retries: number;
  /** Milliseconds before retry number `retryCount` (0 for the first retry). */
  backoff(retryCount: number): number;
}

/** A pause between two tries never exceeds this, whatever the backoff function returns. */
export const MAX_BACKOFF_MS = 60_000;

/**
 * What a call does on QStash, which decides whether it may be tried again and what its failure says:
 * - `read`: writes nothing (`stored: "no"`);
 * - `repeatable`: a write that repeating cannot duplicate (cancel, delete, a schedule by id, a
 *   publish with a deduplication id);
 * - `once`: a publish without deduplication id. Tried again only while no try can have reached
 *   QStash: after that, a second try could store a second message.
 */
export type CallEffect = "read" | "repeatable" | "once";

export interface QStashCall {
  /** What the call is, for error messages: `publish`, `dlq.listMessages`, ... */
  operation: string;
  effect: CallEffect;
}

/**
 * Runs one QStash API call (the SDK's own retries are off) and turns its failure into Switchyard's:
 * - network failure (after the retries): BackendUnavailableError, `stored: "unknown"` for a write
 *   any try of which may have reached QStash, else `"no"`;
 * - HTTP 5xx: BackendUnavailableError (a write's body was sent: `stored: "unknown"`);
 * - HTTP 401/403: ConfigError naming QSTASH_TOKEN;
 * - any other answer of QStash: QStashApiError with its status and message.
 */
export async function callQStash<T>(
  call: QStashCall,
  context: { target: string; retry: RequestRetry },
  run: () => Promise<T>,
): Promise<T> {
  let reached = false;
  for (let retryCount = 0; ; retryCount++) {
    try {
      return await run();
    } catch (error) {
      const stage: FetchFailure | undefined = fetchFailure(error);
      if (stage === undefined) throw apiFailure(call, error);
      reached ||= stage === "sent";
      const repeatable = call.effect !== "once" || !reached;
      if (retryCount >= context.retry.retries || !repeatable) {
        throw new BackendUnavailableError(
          "qstash",
          `${context.target} could not be reached (${call.operation}, ${retryCount + 1} ${retryCount === 0 ? "try" : "tries"}): ${describeFailure(error)}`,
          { cause: error, stored: call.effect !== "read" && reached ? "unknown" : "no" },
        );
      }
      await pause(context.retry.backoff(retryCount));
    }
  }
}

/** The Switchyard error for an error of the SDK that is not a network failure; anything else as it is. */
function apiFailure(call: QStashCall, error: unknown): unknown {
  if (!(error instanceof QstashError)) return error;
  const status = typeof error.status === "number" ? error.status : undefined;
  const answer = error.message;
  if (status !== undefined && status >= 500) {
    return new BackendUnavailableError(
      "qstash",
      `QStash answered ${status} to ${call.operation}: ${answer}`,
      {
        cause: error,
        stored: call.effect === "read" ? "no" : "unknown",
      },
    );
  }
  if (status === 401 || status === 403) {
    return new ConfigError(
      `QStash refused the token (${status} to ${call.operation}: ${answer}): check QSTASH_TOKEN, the token option of qstash()`,
      { cause: error },
    );
  }
  const what =
    status === undefined
      ? `QStash refused ${call.operation}`
      : `QStash answered ${status} to ${call.operation}`;
  return new QStashApiError(`${what}: ${answer}`, status, { cause: error });
}

/** A ref'd timer: the caller is waiting for the call, so the process must not exit meanwhile. */
function pause(ms: number): Promise<void> {
  const bounded = Number.isNaN(ms) ? 0 : Math.min(Math.max(ms, 0), MAX_BACKOFF_MS);
  return new Promise((resolve) => setTimeout(resolve, bounded));
}
