import { SwitchyardError } from "@switchyard/core";

export const TRIGGER_API_ERROR_CODE = "SWITCHYARD_TRIGGER_API";

/**
 * Trigger.dev refused a call for a reason other than being unavailable or the secret key (those
 * are core's BackendUnavailableError and ConfigError): a bad request, an unknown task, a limit, or
 * batch items it would not trigger. The message names the call and carries Trigger.dev's answer;
 * `cause` is the SDK's error.
 */
export class TriggerApiError extends SwitchyardError {
  readonly code = TRIGGER_API_ERROR_CODE;
  /** The HTTP status Trigger.dev answered with, when there was one. */
  readonly status: number | undefined;

  constructor(message: string, status: number | undefined, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
  }
}
