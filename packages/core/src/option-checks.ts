// Shape checks for everything a caller passes in, with one message format. TypeScript users are
// protected by the types; these protect plain JavaScript callers and config files, where a misspelt
// option (`{ dealy: "1h" }`) would otherwise be ignored and the job would run at once.
import { ConfigError } from "./errors/config-error.js";

/** A short, safe description of a value for an error message. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === "object") return `an object (${value.constructor?.name ?? "no prototype"})`;
  if (typeof value === "function") return "a function";
  if (typeof value === "bigint") return `${value}n`;
  return String(value);
}

/**
 * Checks that `value` is `undefined` or a plain options object whose keys are all in `known`, and
 * returns it (`{}` for undefined). Throws ConfigError naming the unknown key and the known ones.
 */
export function checkOptions<T extends object>(
  value: T | undefined,
  where: string,
  known: ReadonlyArray<string>,
): T {
  if (value === undefined) return {} as T;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigError(`${where}: options must be an object, got ${describeValue(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new ConfigError(
        `${where}: unknown option ${JSON.stringify(key)}; the options are ${known.join(", ")}`,
      );
    }
  }
  return value;
}

/** Throws ConfigError unless `value` is a job created by `defineJob`. */
export function checkJobArgument(value: unknown, where: string): asserts value is { name: string } {
  if (typeof value !== "object" || value === null || typeof (value as { name?: unknown }).name !== "string") {
    throw new ConfigError(`${where}: expected a job created by defineJob(), got ${describeValue(value)}`);
  }
}

export function checkPositiveInteger(value: unknown, what: string): asserts value is number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new ConfigError(`${what} must be a positive integer, got ${describeValue(value)}`);
  }
}

export function checkFunction(value: unknown, what: string): void {
  if (typeof value !== "function")
    throw new ConfigError(`${what} must be a function, got ${describeValue(value)}`);
}

export function checkString(value: unknown, what: string): asserts value is string {
  if (typeof value !== "string")
    throw new ConfigError(`${what} must be a string, got ${describeValue(value)}`);
}

/** True when `text` holds a control character (U+0000-U+001F, U+007F): none belongs in a key or id. */
export function hasControlCharacter(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** A string option, trimmed; empty (an unset variable read as "") counts as not given. */
export function optionalText(value: unknown, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string")
    throw new ConfigError(`${what} must be a string, got ${describeValue(value)}`);
  return value.trim() === "" ? undefined : value.trim();
}

/** Throws ConfigError unless `value` is an absolute http: or https: URL. */
export function checkHttpUrl(value: string, what: string): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(value);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
    throw new ConfigError(`${what} must be an absolute http(s) URL, got ${describeValue(value)}`);
  }
}
