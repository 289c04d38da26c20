import { readTraceContext, type TraceContext } from "@switchyard/core/adapter";

/**
 * The header a job's trace context travels in: QStash forwards a published message's headers to the
 * delivery (the SDK sends them as `Upstash-Forward-*`; qstash-js `prefixHeaders`). One header holding
 * the context as JSON, not `traceparent` and the like one by one: the delivery handler then reads
 * whatever fields the app's propagator wrote without knowing their names.
 */
export const TRACE_CONTEXT_HEADER = "Switchyard-Trace-Context";

/** The headers to publish a job with. */
export function traceHeaders(traceContext: TraceContext): Record<string, string> {
  return { [TRACE_CONTEXT_HEADER]: JSON.stringify(traceContext) };
}

/** The trace header of a stored message (a dead letter's `header`), to publish it again with. */
export function storedTraceHeaders(header: Record<string, string[]> | undefined): Record<string, string> {
  const entry = Object.entries(header ?? {}).find(
    ([name]) => name.toLowerCase() === TRACE_CONTEXT_HEADER.toLowerCase(),
  );
  return entry?.[1][0] === undefined ? {} : { [TRACE_CONTEXT_HEADER]: entry[1][0] };
}

/** The trace context a delivery carries; undefined for messages published without one. */
export function traceContextOfDelivery(request: Request): TraceContext | undefined {
  return readTraceContext(request.headers.get(TRACE_CONTEXT_HEADER) ?? undefined);
}
