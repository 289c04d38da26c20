import { BackendUnavailableError, ConfigError, type StoredOutcome, SwitchyardError } from "@switchyard/core";
import { describeFailure, type FetchFailure, fetchFailure } from "@switchyard/core/adapter";
import { ApiError } from "@trigger.dev/sdk";
import { TriggerApiError } from "./trigger-api-error.js";

/** How a call that failed on the way, or with 5xx, 408, 409 or 429, is tried again (the resolved `requestRetry` option). */
export interface RequestRetry {
  /** Tries in all, the first included. */
  maxAttempts: number;
  minDelayMs: number;
  maxDelayMs: number;
  factor: number;
}

/** The SDK's own default (trigger.dev core `DEFAULT_ZOD_FETCH_OPTIONS`): about 9 s of retries in all. */
export const DEFAULT_REQUEST_RETRY: RequestRetry = {
  maxAttempts: 5,
  minDelayMs: 1_000,
  maxDelayMs: 30_000,
  factor: 1.6,
};

/** Milliseconds before try `attempt + 1`, as the SDK computes them (no randomness). */
export function retryDelayMs(retry: RequestRetry, attempt: number): number {
  return Math.min(retry.maxDelayMs, retry.minDelayMs * retry.factor ** (attempt - 1));
}

/** What an error of the SDK says happened. */
type Failure =
  | { kind: "network"; stage: FetchFailure }
  | { kind: "answer"; status: number; message: string }
  | { kind: "credentials"; message: string }
  | { kind: "other" };

/** Answers saying the request was not carried out (timeout, lock, rate limit): trying again is safe. */
const NOT_DONE = new Set([408, 409, 429]);

function readFailure(error: unknown): Failure {
  // A batch's failure carries the API's error as its cause.
  const inner = (error as { name?: unknown })?.name === "BatchTriggerError" ? (error as Error).cause : error;
  // By name as well as by class: the SDK's errors may come from another copy of @trigger.dev/core.
  if (inner instanceof ApiError || (inner as { name?: unknown })?.name === "TriggerApiError") {
    const { status, message, cause } = inner as ApiError;
    if (typeof status !== "number") return { kind: "network", stage: fetchFailure(cause) ?? "sent" };
    return { kind: "answer", status, message };
  }
  if ((inner as { name?: unknown })?.name === "ApiClientMissingError") {
    return { kind: "credentials", message: (inner as Error).message };
  }
  const stage = fetchFailure(inner);
  return stage ? { kind: "network", stage } : { kind: "other" };
}

/**
 * Switchyard's error for a failed call: a network failure or a 5xx is core's BackendUnavailableError
 * (`stored` as given), 401/403 or missing credentials a ConfigError naming TRIGGER_SECRET_KEY, any
 * other answer a TriggerApiError; anything else is returned as it is.
 */
export function triggerFailure(
  operation: string,
  error: unknown,
  stored: StoredOutcome,
  target: string,
): unknown {
  if (error instanceof SwitchyardError) return error;
  const failure = readFailure(error);
  switch (failure.kind) {
    case "network":
      return new BackendUnavailableError(
        "trigger",
        `${target} could not be reached (${operation}): ${describeFailure(error)}`,
        { cause: error, stored },
      );
    case "answer": {
      const answer = `${operation} answered ${failure.status}: ${failure.message}`;
      if (failure.status >= 500) {
        return new BackendUnavailableError("trigger", `Trigger.dev ${answer}`, { cause: error, stored });
      }
      if (failure.status === 401 || failure.status === 403) {
        return new ConfigError(
          `Trigger.dev refused the secret key (${answer}): check TRIGGER_SECRET_KEY, the secretKey option of trigger()`,
          { cause: error },
        );
      }
      return new TriggerApiError(`Trigger.dev ${answer}`, failure.status, { cause: error });
    }
    case "credentials":
      return new ConfigError(`trigger(): no Trigger.dev credentials (${operation}): ${failure.message}`, {
        cause: error,
      });
    case "other":
      return error;
  }
}

/**
 * A write to Trigger.dev, tried by the adapter itself (the SDK's retries are off for it), so that
 * what each try did is known:
 * - `repeatable`: repeating it cannot duplicate anything (cancel, delete, a schedule by
 *   deduplication key, a trigger with an idempotency key);
 * - `once`: it could (a trigger without idempotency key, a replay): not tried again once a try may
 *   have reached Trigger.dev.
 */
export interface TriggerWrite {
  operation: string;
  effect: "repeatable" | "once";
}

export async function writeToTrigger<T>(
  write: TriggerWrite,
  context: { retry: RequestRetry; target: string },
  run: () => Promise<T>,
): Promise<T> {
  let reached = false;
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (error instanceof SwitchyardError) throw error;
      const failure = readFailure(error);
      reached ||=
        (failure.kind === "network" && failure.stage === "sent") ||
        (failure.kind === "answer" && failure.status >= 500);
      const transient =
        failure.kind === "network" ||
        (failure.kind === "answer" && (failure.status >= 500 || NOT_DONE.has(failure.status)));
      const repeatable = write.effect === "repeatable" || !reached;
      if (!transient || !repeatable || attempt >= context.retry.maxAttempts) {
        throw triggerFailure(
          `${write.operation}, ${attempt} ${attempt === 1 ? "try" : "tries"}`,
          error,
          reached ? "unknown" : "no",
          context.target,
        );
      }
      // Ref'd and bounded (maxDelay is at most 5 minutes): the caller is waiting for this write.
      await new Promise((resolve) => setTimeout(resolve, retryDelayMs(context.retry, attempt)));
    }
  }
}
