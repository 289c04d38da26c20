// Payload redaction: what `redact` hides never leaves the server.
import type { RedactFunction } from "./options.js";

export const REDACTED = "[redacted]";

export type Redactor = (payload: unknown, job: string) => unknown;

export function redactor(redact: ReadonlyArray<string> | RedactFunction | undefined): Redactor {
  if (redact === undefined) return (payload) => payload;
  if (typeof redact === "function") return redact;
  const paths = redact.map((path) => path.split("."));
  return (payload) => {
    let copy = structuredCopy(payload);
    for (const path of paths) copy = hide(copy, path);
    return copy;
  };
}

/** Replaces the value at `path` (with `*` for any key or index) by REDACTED, in place. */
function hide(value: unknown, path: ReadonlyArray<string>): unknown {
  const [head, ...rest] = path;
  if (head === undefined || value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  const keys = head === "*" ? Object.keys(record) : Object.hasOwn(record, head) ? [head] : [];
  for (const key of keys) record[key] = rest.length === 0 ? REDACTED : hide(record[key], rest);
  return value;
}

/** Payloads are JSON: a JSON round trip copies them (and leaves the stored snapshot untouched). */
function structuredCopy(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}
