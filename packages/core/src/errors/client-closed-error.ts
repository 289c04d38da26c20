import { SwitchyardError } from "./switchyard-error.js";

export const CLIENT_CLOSED_ERROR_CODE = "SWITCHYARD_CLIENT_CLOSED";

/** Any operation on a client after `close()` (except `close()` itself, which is idempotent). */
export class ClientClosedError extends SwitchyardError {
  readonly code = CLIENT_CLOSED_ERROR_CODE;
}
