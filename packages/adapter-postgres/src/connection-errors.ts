import { BackendUnavailableError, type StoredOutcome } from "@switchyard/core";

/** The SWITCHYARD_BACKEND name of this adapter, carried by its BackendUnavailableErrors. */
export const BACKEND_NAME = "postgres";

/** The server cannot be reached, or went away (network errors, PostgreSQL's shutdown and connection classes). */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "57P01", // admin_shutdown: the server is stopping (pg_ctl stop -m fast) or the backend was terminated
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now: starting up, shutting down, in recovery
]);

/** The server answered but refuses this connection: no such database, bad password or role, too many clients. */
const REFUSING_CODES = new Set([
  "3D000", // invalid_catalog_name: the database does not exist
  "28P01", // invalid_password
  "28000", // invalid_authorization_specification: no such role, or pg_hba.conf rejects it
  "53300", // too_many_connections
]);

/** What `pg` says when a connection could not be made or was lost (these errors carry no code). */
const CONNECTION_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable/i;

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function isRefusal(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && (REFUSING_CODES.has(code) || code.startsWith("28"));
}

/**
 * True when `error` says PostgreSQL is unreachable or refuses the connection, rather than that a
 * statement failed: refused, reset, timed out, DNS failure, the server shutting down or restarting
 * (57P0x, class 08), a missing database (3D000), a bad password or role (28P01, 28000).
 */
export function isConnectionError(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  if (error instanceof AggregateError && error.errors.some(isConnectionError)) return true;
  const code = codeOf(error);
  if (code !== undefined && (UNREACHABLE_CODES.has(code) || code.startsWith("08") || isRefusal(error))) {
    return true;
  }
  const { message } = error as { message?: unknown };
  return typeof message === "string" && CONNECTION_MESSAGES.test(message);
}

/** Worth trying again on a new connection: a connection error, or a serialization failure or deadlock. */
export function isTransientError(error: unknown): boolean {
  const code = codeOf(error);
  return isConnectionError(error) || code === "40001" || code === "40P01";
}

/** True when the statement provably never left this process (the client was already closed). */
export function wasNeverSent(error: unknown): boolean {
  const { message } = (error ?? {}) as { message?: unknown };
  return typeof message === "string" && /Client was closed and is not queryable/i.test(message);
}

/**
 * Turns a connection failure into core's BackendUnavailableError (the driver's error as `cause`);
 * returns any other error unchanged. `stored` says whether an enqueue may have been written.
 */
export function toBackendError(error: unknown, what: string, stored: StoredOutcome = "no"): unknown {
  if (!isConnectionError(error)) return error;
  const detail = (error as Error).message || codeOf(error) || String(error);
  const situation = isRefusal(error) ? "PostgreSQL refused the connection" : "PostgreSQL is unreachable";
  return new BackendUnavailableError(BACKEND_NAME, `${situation} (${what}): ${detail}`, {
    cause: error,
    stored,
  });
}
