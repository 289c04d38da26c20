import { type EnqueueRequest, readTraceContext, type TraceContext } from "@switchyard/core/adapter";
import { eventNameFor, keyedJobId } from "./job-id.js";

/** `data` of a Switchyard event. The payload is wrapped: Inngest event data must be an object. */
export interface JobEventData {
  payload: unknown;
  /** The concurrency bucket of jobs whose job sets `concurrency`: `key:<concurrencyKey>`, or `job`. */
  concurrencyKey?: string;
  /** The enqueuer's trace context (telemetry), handed back to each attempt. */
  traceContext?: TraceContext;
  /**
   * The job's name, in a child job's data: Inngest names the event of an invoked function
   * `inngest/function.invoked` (G:pkg/event/invoke.go:17-58), so the name is kept here for `get`.
   */
  job?: string;
}

/** The concurrency key expression of every function whose job sets `concurrency`. */
export const CONCURRENCY_KEY_EXPRESSION = "event.data.concurrencyKey";

/** The Inngest event for one enqueue, as `inngest.send` takes it. */
export interface JobEvent {
  name: string;
  data: JobEventData;
  /** Set only for a keyed enqueue: Inngest's idempotency key (see keyedJobId). */
  id?: string;
  /** Epoch ms; a future time delays the run (delay and runAt). */
  ts?: number;
}

export function jobEvent(request: EnqueueRequest): JobEvent {
  const data: JobEventData = { payload: request.payload };
  if (request.traceContext) data.traceContext = request.traceContext;
  if (request.job.concurrency !== undefined) {
    data.concurrencyKey = request.concurrencyKey === undefined ? "job" : `key:${request.concurrencyKey}`;
  }
  const event: JobEvent = { name: eventNameFor(request.job.name), data };
  if (request.idempotencyKey !== undefined) event.id = keyedJobId(request.job.name, request.idempotencyKey);
  if (request.runAt) event.ts = request.runAt.getTime();
  return event;
}

/** The payload of a Switchyard event's data. */
export function payloadOf(data: unknown): unknown {
  return typeof data === "object" && data !== null ? (data as { payload?: unknown }).payload : undefined;
}

/** The trace context of a Switchyard event's data; undefined for events sent without one. */
export function traceContextOf(data: unknown): TraceContext | undefined {
  return typeof data === "object" && data !== null
    ? readTraceContext((data as { traceContext?: unknown }).traceContext)
    : undefined;
}
