import { readTraceContext, type TraceContext } from "@switchyard/core/adapter";
import type { Job, JobsOptions } from "bullmq";

/**
 * A job's trace context lives in BullMQ's own field for it, `opts.telemetry.metadata` (a string BullMQ
 * stores as the job's `tm` and documents as "metadata, used for context propagation"), as JSON. The
 * adapter never configures BullMQ's telemetry, so BullMQ leaves the field as written.
 */
export function withTraceMetadata(opts: JobsOptions, traceContext: TraceContext): JobsOptions {
  return { ...opts, telemetry: { metadata: JSON.stringify(traceContext) } };
}

/** The trace context stored with a job; undefined for jobs enqueued without telemetry. */
export function traceContextOf(job: Job): TraceContext | undefined {
  return readTraceContext(job.opts.telemetry?.metadata);
}
