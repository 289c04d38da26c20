import { SwitchyardError } from "./switchyard-error.js";

export const BACKEND_UNAVAILABLE_ERROR_CODE = "SWITCHYARD_BACKEND_UNAVAILABLE";

/**
 * Whether an enqueue that failed with BackendUnavailableError stored its job(s):
 * - `"no"`: nothing reached the backend (it was not connected, refused, or the request never left);
 *   retrying cannot make a duplicate.
 * - `"unknown"`: the request may have been written before the connection failed. Retry with an
 *   idempotency key: a stored first try then answers `deduplicated: true` instead of running twice.
 */
export type StoredOutcome = "no" | "unknown";

/**
 * The backend (Redis, PostgreSQL, a platform's API) could not be reached or refused the connection.
 * Every adapter throws this one error for that situation, with the driver's error as `cause`.
 */
export class BackendUnavailableError extends SwitchyardError {
  readonly code = BACKEND_UNAVAILABLE_ERROR_CODE;
  /** The backend's name as in `SWITCHYARD_BACKEND` (`bullmq`, `postgres`, ...). */
  readonly backend: string;
  /** For a failed enqueue: whether its job may have been stored. Operations that write nothing say `"no"`. */
  readonly stored: StoredOutcome;

  constructor(backend: string, message: string, options: ErrorOptions & { stored?: StoredOutcome } = {}) {
    super(message, options);
    this.backend = backend;
    this.stored = options.stored ?? "no";
  }
}
