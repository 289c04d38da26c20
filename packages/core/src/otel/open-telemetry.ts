import {
  type Attributes,
  type Context,
  type Counter,
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  type Histogram,
  isSpanContextValid,
  type Link,
  type Meter,
  type MeterProvider,
  metrics,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapPropagator,
  type Tracer,
  type TracerProvider,
  trace,
} from "@opentelemetry/api";
import type { StepAttemptOutcome } from "../attempt-outcome.js";
import type { EnqueueRequest } from "../backend.js";
import { type Duration, toMilliseconds } from "../duration.js";
import { ConfigError } from "../errors/config-error.js";
import type { EnqueueResult, JobDefinition, JobError } from "../interfaces.js";
import { checkOptions, describeValue } from "../option-checks.js";
import type { AttemptInput } from "../run-attempt.js";
import type { Telemetry, TelemetryClient } from "../telemetry/telemetry.js";
import {
  ATTR_ATTEMPT,
  ATTR_BACKEND,
  ATTR_BATCH_MESSAGE_COUNT,
  ATTR_DEDUPLICATED,
  ATTR_DESTINATION_NAME,
  ATTR_ERROR_TYPE,
  ATTR_MESSAGE_ID,
  ATTR_MESSAGING_SYSTEM,
  ATTR_OPERATION_NAME,
  ATTR_OPERATION_TYPE,
  ATTR_OUTCOME,
  DURATION_BUCKETS,
  MESSAGING_SYSTEM,
  METRIC_ATTEMPTS,
  METRIC_PROCESS_DURATION,
} from "./otel-attributes.js";
import { DEFAULT_QUEUE_DEPTH_INTERVAL_MS, observeQueueDepth } from "./queue-depth.js";

export interface OpenTelemetryOptions {
  /** Where spans go. Default: the global tracer provider (`trace.getTracerProvider()`). */
  tracerProvider?: TracerProvider;
  /** Where metrics go. Default: the global meter provider (`metrics.getMeterProvider()`). */
  meterProvider?: MeterProvider;
  /**
   * Writes the enqueuer's trace context into each job and reads it back on each attempt. Default: the
   * global propagator (`propagation`; the Node SDK registers W3C trace context and baggage).
   */
  propagator?: TextMapPropagator;
  /**
   * How an attempt's span relates to the enqueue: `"child"` makes it a child of the enqueue's span,
   * in the enqueuer's trace; `"link"` starts it in the current context (a new trace on a worker, the
   * request's on a push backend) with only a link to the enqueue, which keeps the traces of jobs that
   * retry for days apart. Either way the span links to the enqueue (the messaging conventions ask for
   * the link; the parent is optional). Default `"child"`.
   */
  attemptSpan?: "child" | "link";
  /** Report the `switchyard.queue.depth` gauge (where the backend counts jobs). Default true. */
  queueDepth?: boolean;
  /**
   * How often the queue-depth gauge counts the jobs: one `counts({ job })` call per registered job,
   * at most once per interval; a collection within it reports the last counts again. Counting is a
   * store query per job (on QStash, pages of API calls against your quota), made by every process
   * with telemetry. Default `"60s"`.
   */
  queueDepthInterval?: Duration;
}

const OPTION_KEYS = [
  "tracerProvider",
  "meterProvider",
  "propagator",
  "attemptSpan",
  "queueDepth",
  "queueDepthInterval",
];
const INSTRUMENTATION_SCOPE = "@switchyard/core";

/**
 * Traces and metrics for `createSwitchyard({ telemetry: openTelemetry() })`:
 * - an `enqueue <job>` producer span around each enqueue, whose context is stored with the job;
 * - a `process <job>` consumer span around each attempt, linked to (and by default a child of) it;
 * - `switchyard.attempts` (by outcome), `messaging.process.duration` (seconds) and, where the
 *   backend counts jobs, the `switchyard.queue.depth` gauge.
 * Attributes follow OpenTelemetry's messaging semantic conventions (otel-attributes.ts).
 */
export function openTelemetry(options?: OpenTelemetryOptions): Telemetry {
  const checked = checkOptions(options, "openTelemetry()", OPTION_KEYS);
  const attemptSpan = checked.attemptSpan ?? "child";
  if (attemptSpan !== "child" && attemptSpan !== "link") {
    throw new ConfigError(
      `openTelemetry(): attemptSpan must be "child" or "link", got ${describeValue(attemptSpan)}`,
    );
  }
  if (checked.queueDepth !== undefined && typeof checked.queueDepth !== "boolean") {
    throw new ConfigError(
      `openTelemetry(): queueDepth must be a boolean, got ${describeValue(checked.queueDepth)}`,
    );
  }
  const queueDepthIntervalMs =
    checked.queueDepthInterval === undefined
      ? DEFAULT_QUEUE_DEPTH_INTERVAL_MS
      : toMilliseconds(checked.queueDepthInterval, "openTelemetry(): queueDepthInterval");
  return new OpenTelemetryHooks(checked, attemptSpan, queueDepthIntervalMs);
}

class OpenTelemetryHooks implements Telemetry {
  readonly #tracer: Tracer;
  readonly #propagator: TextMapPropagator;
  readonly #attemptSpan: "child" | "link";
  readonly #queueDepth: boolean;
  readonly #queueDepthIntervalMs: number;
  readonly #meter: Meter;
  readonly #attempts: Counter;
  readonly #duration: Histogram;
  #base: Attributes = { [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM };
  #stopObserving?: () => void;
  #attached = false;
  /** Attempts start in the caller's context (push, managed) or from the root (workers): see attach. */
  #nestInCaller = false;

  constructor(options: OpenTelemetryOptions, attemptSpan: "child" | "link", queueDepthIntervalMs: number) {
    this.#queueDepth = options.queueDepth ?? true;
    this.#queueDepthIntervalMs = queueDepthIntervalMs;
    this.#attemptSpan = attemptSpan;
    this.#tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(INSTRUMENTATION_SCOPE);
    this.#propagator = options.propagator ?? propagation;
    this.#meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(INSTRUMENTATION_SCOPE);
    this.#attempts = this.#meter.createCounter(METRIC_ATTEMPTS, {
      description: "Attempts of jobs, by outcome",
      unit: "{attempt}",
    });
    this.#duration = this.#meter.createHistogram(METRIC_PROCESS_DURATION, {
      description: "Duration of job attempts",
      unit: "s",
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    });
  }

  attach(client: TelemetryClient): void {
    // Its attributes (the backend) and its gauge are one client's.
    if (this.#attached)
      throw new ConfigError("this openTelemetry() already serves a client: make one per client");
    this.#attached = true;
    const { backend, execution } = client.backend.capabilities;
    this.#base = { ...this.#base, [ATTR_BACKEND]: backend };
    // A pull worker's current context is whatever made it pick the job (the memory backend starts an
    // attempt from inside the enqueue that freed it): attempts start from the root there. A push or
    // managed platform calls in with a request or run of its own, which the attempt nests in.
    this.#nestInCaller = execution === "http" || execution === "managed";
    if (this.#queueDepth)
      this.#stopObserving = observeQueueDepth(this.#meter, client, this.#base, this.#queueDepthIntervalMs);
  }

  close(): void {
    this.#stopObserving?.();
    this.#stopObserving = undefined;
  }

  async enqueue(
    job: JobDefinition,
    requests: EnqueueRequest[],
    send: () => Promise<EnqueueResult[]>,
  ): Promise<EnqueueResult[]> {
    const attributes: Attributes = {
      ...this.#base,
      [ATTR_OPERATION_TYPE]: "send",
      [ATTR_OPERATION_NAME]: "enqueue",
      [ATTR_DESTINATION_NAME]: job.name,
    };
    if (requests.length > 1) attributes[ATTR_BATCH_MESSAGE_COUNT] = requests.length;
    const span = this.#tracer.startSpan(`enqueue ${job.name}`, { kind: SpanKind.PRODUCER, attributes });
    const active = trace.setSpan(context.active(), span);
    // The jobs of one enqueueMany share the enqueue's context: one span per call, whatever its size.
    const carrier: Record<string, string> = {};
    this.#propagator.inject(active, carrier, defaultTextMapSetter);
    if (Object.keys(carrier).length > 0) for (const request of requests) request.traceContext = carrier;
    try {
      const results = await context.with(active, send);
      if (results.length === 1) {
        span.setAttribute(ATTR_MESSAGE_ID, results[0]!.id);
        span.setAttribute(ATTR_DEDUPLICATED, results[0]!.deduplicated);
      }
      return results;
    } catch (error) {
      recordFailure(span, error, errorType(error));
      throw error;
    } finally {
      span.end();
    }
  }

  async attempt(
    job: JobDefinition,
    input: AttemptInput,
    run: () => Promise<StepAttemptOutcome>,
  ): Promise<StepAttemptOutcome> {
    const { parent, links } = this.#attemptParent(input);
    const span = this.#tracer.startSpan(
      `process ${job.name}`,
      {
        kind: SpanKind.CONSUMER,
        links,
        attributes: {
          ...this.#base,
          [ATTR_OPERATION_TYPE]: "process",
          [ATTR_OPERATION_NAME]: "process",
          [ATTR_DESTINATION_NAME]: job.name,
          [ATTR_MESSAGE_ID]: input.id,
          [ATTR_ATTEMPT]: input.attempt,
        },
      },
      parent,
    );
    const started = performance.now();
    let outcome: StepAttemptOutcome | undefined;
    try {
      outcome = await context.with(trace.setSpan(parent, span), run);
      return outcome;
    } finally {
      const seconds = (performance.now() - started) / 1000;
      this.#ended(job, span, outcome, seconds);
    }
  }

  /** The context an attempt's span starts in, and its link to the enqueue (when the job has one). */
  #attemptParent(input: AttemptInput): { parent: Context; links: Link[] } {
    const active = this.#nestInCaller ? context.active() : ROOT_CONTEXT;
    if (!input.traceContext) return { parent: active, links: [] };
    const stored = this.#propagator.extract(ROOT_CONTEXT, input.traceContext, defaultTextMapGetter);
    const enqueued = trace.getSpanContext(stored);
    if (!enqueued || !isSpanContextValid(enqueued)) return { parent: active, links: [] };
    const links = [{ context: enqueued }];
    if (this.#attemptSpan === "link") return { parent: active, links };
    return { parent: this.#propagator.extract(active, input.traceContext, defaultTextMapGetter), links };
  }

  #ended(job: JobDefinition, span: Span, outcome: StepAttemptOutcome | undefined, seconds: number): void {
    const outcomeName = outcomeNameOf(outcome);
    const attributes: Attributes = {
      ...this.#base,
      [ATTR_OPERATION_NAME]: "process",
      [ATTR_DESTINATION_NAME]: job.name,
      [ATTR_OUTCOME]: outcomeName,
    };
    span.setAttribute(ATTR_OUTCOME, outcomeName);
    if (outcome === undefined) {
      // runAttempt never throws: only a broken telemetry or backend hook gets here.
      recordFailure(span, new Error("the attempt threw"), "_OTHER");
      attributes[ATTR_ERROR_TYPE] = "_OTHER";
    } else if (outcome.type === "retry" || outcome.type === "failed") {
      const type = outcome.error.code ?? "_OTHER";
      recordFailure(span, outcome.cause ?? outcome.error, type, outcome.error);
      attributes[ATTR_ERROR_TYPE] = type;
    }
    span.end();
    this.#attempts.add(1, attributes);
    this.#duration.record(seconds, attributes);
  }
}

/** The outcome as the lifecycle events name it. */
function outcomeNameOf(outcome: StepAttemptOutcome | undefined): string {
  if (outcome === undefined) return "failed";
  return outcome.type === "retry" ? "retrying" : outcome.type;
}

function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string") return code;
  return error instanceof Error ? error.name : "_OTHER";
}

/** Error status, `error.type` and the exception event (the handler's error, or what the outcome kept of it). */
function recordFailure(span: Span, error: unknown, type: string, summary?: JobError): void {
  const message = summary?.message ?? (error instanceof Error ? error.message : String(error));
  span.setAttribute(ATTR_ERROR_TYPE, type);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
  if (error instanceof Error) span.recordException(error);
  else span.recordException({ name: type, message });
}
