/** Base class of every error Switchyard throws. `code` is stable across releases: match on it, not on the message. */
export abstract class SwitchyardError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** True when `error` is a Switchyard error with the given code (works across duplicate installs of core). */
export function hasErrorCode(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === code;
}
