import { SwitchyardError } from "@switchyard/core";

export const INNGEST_API_ERROR_CODE = "SWITCHYARD_INNGEST_API";

/**
 * Inngest refused a call for a reason other than being unavailable or a key (those are core's
 * BackendUnavailableError and ConfigError): a bad request, a payload too large, a limit. The message
 * names the call, the HTTP status and Inngest's answer.
 */
export class InngestApiError extends SwitchyardError {
  readonly code = INNGEST_API_ERROR_CODE;
  /** The HTTP status, absent when the call could not be made at all. */
  readonly status?: number;

  constructor(message: string, status?: number, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
  }
}
