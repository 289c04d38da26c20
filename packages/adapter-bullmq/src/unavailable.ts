import { BackendUnavailableError, type StoredOutcome } from "@switchyard/core";
import { ConnectionClosedError } from "bullmq";

/** The backend's name in BackendUnavailableError (as in `SWITCHYARD_BACKEND`). */
export const BACKEND_NAME = "bullmq";

/** Redis could not be reached or answered nothing: a BackendUnavailableError with the driver's error as cause. */
export function redisUnavailable(
  message: string,
  stored: StoredOutcome,
  cause?: unknown,
): BackendUnavailableError {
  return new BackendUnavailableError(
    BACKEND_NAME,
    message,
    cause === undefined ? { stored } : { cause, stored },
  );
}

/** True for errors that mean Redis could not be reached or the connection dropped (not a command error). */
export function isConnectionFailure(error: unknown): boolean {
  if (error instanceof BackendUnavailableError) return false;
  if (error instanceof ConnectionClosedError) return true;
  const { name, message, code } = (error ?? {}) as { name?: string; message?: string; code?: string };
  if (name === "MaxRetriesPerRequestError") return true;
  if (
    typeof code === "string" &&
    /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EHOSTUNREACH)$/.test(code)
  )
    return true;
  return /Connection is closed|Stream isn't writeable|Command timed out|enableOfflineQueue/i.test(
    message ?? "",
  );
}

/**
 * True when the failed command never left the process: ioredis refuses a command at once, before
 * writing it, when the connection is down and its offline queue is off (the adapter's producer).
 * Any other connection failure happened after the command may have been written.
 */
export function wasNeverSent(error: unknown): boolean {
  const message = (error as { message?: unknown } | undefined)?.message;
  return typeof message === "string" && /Stream isn't writeable and enableOfflineQueue/i.test(message);
}

/** Whether a write that failed with `error` may have reached Redis. */
export function storedOutcomeOf(error: unknown): StoredOutcome {
  return wasNeverSent(error) ? "no" : "unknown";
}

/**
 * A connection failure during a call as BackendUnavailableError saying whether it was stored, with
 * the driver's error as cause; any other error (a BackendUnavailableError included) as it is.
 */
export function toUnavailable(error: unknown, stored: StoredOutcome): unknown {
  if (!isConnectionFailure(error)) return error;
  const hint = stored === "unknown" ? " (the request was sent: it may have been carried out)" : "";
  return redisUnavailable(`Redis is unavailable: ${(error as Error).message}${hint}`, stored, error);
}
