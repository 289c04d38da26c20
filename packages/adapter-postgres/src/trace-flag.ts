import { readTraceContext, type TraceContext } from "@switchyard/core/adapter";

/**
 * A job's trace context is one key of its graphile-worker `flags` (where the adapter keeps its other
 * per-job marks, step-schema.ts): TRACE_FLAG_PREFIX + the context as JSON. It is written by the
 * statement that adds the job and read from the job row the worker already has: no table, no extra
 * query. graphile-worker only reads flags to skip jobs a worker forbids, which the adapter never does.
 */
export const TRACE_FLAG_PREFIX = "switchyard_trace:";

/** The `flags` to add a job with: its trace flag, or none. */
export function traceFlags(traceContext: TraceContext | undefined): string[] | null {
  return traceContext ? [TRACE_FLAG_PREFIX + JSON.stringify(traceContext)] : null;
}

/** The trace context of a job row's flags; undefined for jobs added without one. */
export function traceContextOfFlags(
  flags: Record<string, true> | null | undefined,
): TraceContext | undefined {
  if (!flags) return undefined;
  for (const flag of Object.keys(flags)) {
    if (flag.startsWith(TRACE_FLAG_PREFIX)) return readTraceContext(flag.slice(TRACE_FLAG_PREFIX.length));
  }
  return undefined;
}
