import { SwitchyardError } from "./switchyard-error.js";

export const CONFIG_ERROR_CODE = "SWITCHYARD_CONFIG";

/** A job definition, option or environment setting is wrong. The message says what to change. */
export class ConfigError extends SwitchyardError {
  readonly code = CONFIG_ERROR_CODE;
}
