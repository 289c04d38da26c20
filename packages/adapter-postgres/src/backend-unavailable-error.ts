import { SwitchyardError } from "@switchyard/core";

export const BACKEND_UNAVAILABLE_ERROR_CODE = "SWITCHYARD_BACKEND_UNAVAILABLE";

/** PostgreSQL could not be reached (refused, timed out, shutting down). Nothing was enqueued. `cause` has the driver's error. */
export class BackendUnavailableError extends SwitchyardError {
  readonly code = BACKEND_UNAVAILABLE_ERROR_CODE;
}

const CONNECTION_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
]);

/** True when `error` says the server is unreachable rather than that a statement failed. */
export function isConnectionError(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  if (error instanceof AggregateError && error.errors.some(isConnectionError)) return true;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === "string" && (CONNECTION_ERROR_CODES.has(code) || code.startsWith("08"))) return true;
  return (
    typeof message === "string" &&
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
      message,
    )
  );
}

/** Rethrows a connection failure as BackendUnavailableError; any other error unchanged. */
export function toBackendError(error: unknown, what: string): unknown {
  if (!isConnectionError(error)) return error;
  const detail = (error as Error).message || (error as { code?: string }).code || String(error);
  return new BackendUnavailableError(`PostgreSQL is unreachable (${what}): ${detail}`, { cause: error });
}
