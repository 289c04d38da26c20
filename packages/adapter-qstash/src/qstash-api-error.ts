import { SwitchyardError } from "@switchyard/core";

export const QSTASH_API_ERROR_CODE = "SWITCHYARD_QSTASH_API";

/**
 * QStash refused a call for a reason other than being unavailable or the token (those are
 * BackendUnavailableError and ConfigError): a bad request, a rate limit, a plan limit. The message
 * names the call and carries QStash's own answer; `cause` is the SDK's error.
 */
export class QStashApiError extends SwitchyardError {
  readonly code = QSTASH_API_ERROR_CODE;
  /** The HTTP status QStash answered with, when there was one. */
  readonly status: number | undefined;

  constructor(message: string, status: number | undefined, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
  }
}
