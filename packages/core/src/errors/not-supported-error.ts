import { SwitchyardError } from "./switchyard-error.js";

export const NOT_SUPPORTED_ERROR_CODE = "SWITCHYARD_NOT_SUPPORTED";

/**
 * An option that the configured backend cannot honour, natively or by emulation. Thrown at definition
 * or enqueue time, before anything is enqueued: Switchyard never ignores an option silently.
 */
export class NotSupportedError extends SwitchyardError {
  readonly code = NOT_SUPPORTED_ERROR_CODE;
  readonly backend: string;
  readonly option: string;

  constructor(backend: string, option: string, hint?: string) {
    super(`the ${backend} backend does not support ${option}${hint ? `: ${hint}` : ""}`);
    this.backend = backend;
    this.option = option;
  }
}
