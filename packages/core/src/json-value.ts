// What a job's payload becomes once stored: every backend keeps JSON, so the handler receives the
// payload's JSON round trip. Checked at enqueue, so a payload that would change on the way (a Date
// becomes a string, a Map becomes {}) or cannot be stored at all (BigInt, a cycle) is refused with
// the path to the offending value instead of failing every attempt later.
import type { ValidationIssue } from "./errors/validation-error.js";

/** The JSON copy of `value`, or the issues that keep it from being one. */
export type JsonCopy = { ok: true; value: unknown } | { ok: false; issues: ValidationIssue[] };

/**
 * Copies `value` as JSON would, refusing what JSON would change or drop: top-level `undefined`,
 * `undefined` in arrays, non-finite numbers, BigInt, functions, symbols, class instances (Date, Map,
 * Set, Buffer, ...) and cycles. `undefined` object properties are dropped, as JSON does (an optional
 * field left out). Only the first issue per branch is reported.
 */
export function jsonCopy(value: unknown): JsonCopy {
  const issues: ValidationIssue[] = [];
  const copy = copyValue(value, [], new Set(), issues);
  return issues.length === 0 ? { ok: true, value: copy } : { ok: false, issues };
}

/**
 * `path` is one stack shared by the whole walk (pushed and popped), copied only into an issue: a
 * payload that is fine allocates nothing but its copy.
 */
function copyValue(
  value: unknown,
  path: PropertyKey[],
  ancestors: Set<object>,
  issues: ValidationIssue[],
): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      if (Number.isFinite(value)) return value;
      issues.push({ path: [...path], message: `${value} is not a JSON number (it would be stored as null)` });
      return undefined;
    case "undefined":
      issues.push({
        path: [...path],
        message:
          path.length === 0
            ? "the payload is undefined, which JSON cannot store: pass null or {} (and let the schema accept it)"
            : "undefined in an array is stored as null",
      });
      return undefined;
    case "bigint":
      issues.push({ path: [...path], message: "a BigInt cannot be stored as JSON: pass it as a string" });
      return undefined;
    case "function":
    case "symbol":
      issues.push({ path: [...path], message: `a ${typeof value} cannot be stored as JSON` });
      return undefined;
  }
  if (value === null) return null;
  const object = value as object;
  if (ancestors.has(object)) {
    issues.push({ path: [...path], message: "a circular reference cannot be stored as JSON" });
    return undefined;
  }
  if (Array.isArray(object)) {
    ancestors.add(object);
    const copy = new Array<unknown>(object.length);
    for (let index = 0; index < object.length; index++) {
      path.push(index);
      copy[index] = copyValue(object[index], path, ancestors, issues);
      path.pop();
    }
    ancestors.delete(object);
    return copy;
  }
  const prototype = Object.getPrototypeOf(object);
  if (prototype !== Object.prototype && prototype !== null) {
    const kind = object.constructor?.name ?? "object";
    const hint =
      object instanceof Date ? ": pass date.toISOString() (and z.iso.datetime() or z.coerce.date())" : "";
    issues.push({
      path: [...path],
      message: `a ${kind} is not plain JSON and would not arrive as sent${hint}`,
    });
    return undefined;
  }
  ancestors.add(object);
  const copy: Record<string, unknown> = {};
  for (const key in object) {
    if (!Object.hasOwn(object, key)) continue;
    const item = (object as Record<string, unknown>)[key];
    if (item === undefined) continue;
    path.push(key);
    const copied = copyValue(item, path, ancestors, issues);
    path.pop();
    // An own "__proto__" key (JSON.parse makes them) stays a key, as JSON keeps it, not a prototype.
    if (key === "__proto__")
      Object.defineProperty(copy, key, {
        value: copied,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else copy[key] = copied;
  }
  ancestors.delete(object);
  return copy;
}
