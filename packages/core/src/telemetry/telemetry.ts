import type { StepAttemptOutcome } from "../attempt-outcome.js";
import type { Backend, EnqueueRequest } from "../backend.js";
import type { EnqueueResult, JobDefinition, JobLogger } from "../interfaces.js";
import type { AttemptInput } from "../run-attempt.js";

/**
 * What a client with telemetry calls around enqueues and attempts (`createSwitchyard({ telemetry })`).
 * `openTelemetry()` from `@switchyard/core/otel` is the implementation Switchyard ships; core itself
 * never imports a tracing library, so a client without telemetry pays nothing for it.
 *
 * Why hooks and not the lifecycle events: a span must be active while the enqueue and the handler
 * run (so that the app's own spans nest under it), and the trace context must be written into the
 * request before the backend stores it. Events are emitted after the fact and cannot do either.
 */
export interface Telemetry {
  /** Called once by `createSwitchyard`, with the client's backend and jobs. */
  attach(client: TelemetryClient): void;
  /**
   * Wraps one `backend.enqueue` of `requests` (all of `job`): sets each request's `traceContext`,
   * then calls `send`, and returns (or rethrows) what it gives.
   */
  enqueue(
    job: JobDefinition,
    requests: EnqueueRequest[],
    send: () => Promise<EnqueueResult[]>,
  ): Promise<EnqueueResult[]>;
  /** Wraps one attempt: `run` runs it (and never throws); returns its outcome. */
  attempt(
    job: JobDefinition,
    input: AttemptInput,
    run: () => Promise<StepAttemptOutcome>,
  ): Promise<StepAttemptOutcome>;
  /** Called by the client's `close()`: stops observing the backend (gauges). */
  close(): void;
}

/** What telemetry sees of the client it is attached to. */
export interface TelemetryClient {
  readonly backend: Backend;
  readonly jobs: ReadonlyMap<string, JobDefinition>;
  readonly logger: JobLogger;
}
