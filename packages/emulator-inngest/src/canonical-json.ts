/**
 * RFC 8785 (JSON Canonicalization Scheme) serialisation of a JSON value.
 *
 * The SDK does not verify the raw request bytes: it JSON-parses the body and
 * signs `canonicalize(parsed)` (I:components/InngestCommHandler.js:553-565,
 * I:helpers/net.js:30), and the Go server JCS-transforms each request before
 * signing it (G:pkg/execution/driver/driver.go:263-268). Sending exactly the
 * canonical bytes keeps what we sign and what the SDK checks identical.
 *
 * For values that came from (or could go through) `JSON.parse`, JCS equals
 * ECMAScript `JSON.stringify` for numbers and strings; only object key order
 * differs: keys are sorted by UTF-16 code units, which is what the default
 * `Array.prototype.sort` compares.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    // undefined/functions become null, as JSON.stringify does inside arrays.
    return JSON.stringify(value) ?? "null";
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
    return canonicalJson((value as { toJSON: () => unknown }).toJSON());
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => canonicalJson(item)).join(",")}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined && typeof v !== "function")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}
