import { readTraceContext, type TraceContext } from "@switchyard/core/adapter";
import { metadata } from "@trigger.dev/sdk";

/**
 * The run metadata key that holds the enqueuer's trace context: given with the trigger options
 * (`metadata`), it is the run's metadata from its first attempt on and survives its retries.
 */
export const TRACE_METADATA_KEY = "switchyard.traceContext";

/** The trigger option that stores a trace context with the run. */
export function traceMetadata(traceContext: TraceContext): Record<string, TraceContext> {
  return { [TRACE_METADATA_KEY]: traceContext };
}

/** Inside a run: its trace context; undefined for runs triggered without one. */
export function currentTraceContext(): TraceContext | undefined {
  return readTraceContext(metadata.get(TRACE_METADATA_KEY));
}
