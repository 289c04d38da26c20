/**
 * A job's trace context: the string map a propagator writes at enqueue (W3C `traceparent` and
 * `tracestate` by default), stored by the backend beside the payload and read back on every attempt.
 * Core treats it as opaque; only `@switchyard/core/otel` reads it.
 */
export type TraceContext = Readonly<Record<string, string>>;

/** More than any propagator writes (W3C: two fields; B3: up to five): anything larger is not ours. */
const MAX_ENTRIES = 16;
const MAX_TEXT_LENGTH = 8_192;

/**
 * The trace context an adapter stored, from its JSON text or its parsed value; undefined when absent
 * or malformed (a job stored before tracing, or edited by hand, runs untraced rather than failing).
 */
export function readTraceContext(stored: unknown): TraceContext | undefined {
  let value = stored;
  if (typeof value === "string") {
    if (value.length > MAX_TEXT_LENGTH) return undefined;
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const entries = Object.entries(value);
  if (entries.length === 0 || entries.length > MAX_ENTRIES) return undefined;
  const context: Record<string, string> = {};
  for (const [key, text] of entries) {
    if (typeof text !== "string" || text.length > MAX_TEXT_LENGTH) return undefined;
    context[key] = text;
  }
  return context;
}
