import { SwitchyardError } from "@switchyard/core";

export const INNGEST_API_ERROR_CODE = "SWITCHYARD_INNGEST_API";

/** A call to Inngest's REST API failed: the message names the call, the HTTP status and Inngest's answer. */
export class InngestApiError extends SwitchyardError {
  readonly code = INNGEST_API_ERROR_CODE;
  /** The HTTP status, absent when Inngest could not be reached. */
  readonly status?: number;

  constructor(message: string, status?: number, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
  }
}
