// The contract between the Switchyard client and a backend adapter. Applications never call it directly.
import type { AttemptOutcome, StepAttemptOutcome } from "./attempt-outcome.js";
import type { Capabilities } from "./capabilities.js";
import type {
  EnqueueResult,
  JobCounts,
  JobDefinition,
  JobLogger,
  JobPage,
  JobSnapshot,
  JobState,
  ScheduleEntry,
  StopOptions,
  WorkerOptions,
} from "./interfaces.js";
import type { AttemptInput } from "./run-attempt.js";
import type { NativeStepsFactory } from "./steps/native-steps.js";
import type { StepStore } from "./steps/step-record.js";
import type { TraceContext } from "./telemetry/trace-context.js";

/** One job to enqueue. The client has validated the payload and checked every option against the capabilities. */
export interface EnqueueRequest {
  job: JobDefinition;
  /** The payload as the caller gave it (the schema's input), JSON-serialisable. */
  payload: unknown;
  /** Resolved from `delay` or `runAt`; absent means now. */
  runAt?: Date;
  /**
   * Set for a child job enqueued by `ctx.step.invoke`: its parent and step. A backend may use it to
   * wake the parent as soon as the child ends (the parent also looks again on its own).
   */
  parent?: { id: string; stepId: string };
  priority?: number;
  idempotencyKey?: string;
  /** The ttl of `idempotencyKey`: from the enqueue options, else the job; absent means the backend's default window. */
  idempotencyTtlMs?: number;
  concurrencyKey?: string;
  /**
   * The enqueuer's trace context (W3C `traceparent`/`tracestate`, or whatever the app's propagator
   * writes), set only when the client has telemetry. Store it beside the payload and hand it back
   * as `AttemptInput.traceContext` on every attempt; jobs stored without it must still run.
   */
  traceContext?: TraceContext;
}

/** What core gives a backend when it is attached to a client. */
export interface JobRuntime {
  /** The registered jobs by name. */
  readonly jobs: ReadonlyMap<string, JobDefinition>;
  readonly logger: JobLogger;
  /**
   * Runs one attempt of the named job and decides what happens next. An unknown job name gives a
   * permanent failure. Adapters map the outcome onto their backend; it never throws. An adapter that
   * passes the job's step store may also get `suspended` (reschedule without counting an attempt);
   * one that passes native step tools gets `suspended` for an attempt it interrupted.
   */
  runAttempt(jobName: string, input: AttemptInput & { steps: StepStore }): Promise<StepAttemptOutcome>;
  runAttempt(
    jobName: string,
    input: AttemptInput & { nativeSteps: NativeStepsFactory },
  ): Promise<StepAttemptOutcome>;
  runAttempt(
    jobName: string,
    input: AttemptInput & { steps?: undefined; nativeSteps?: undefined },
  ): Promise<AttemptOutcome>;
}

/**
 * A worker as a backend starts it. Core wraps it for the app (`jobs.work()`): core checks the stop
 * options, and for a graceful stop with a timeout it calls `stop({ graceful: true })`, then
 * `stop({ graceful: false })` when the timeout passes. So a backend's stop must accept a hard stop
 * while a graceful one is still draining, resolve a hard stop promptly whatever its server does
 * (abandoned attempts are recovered by the backend later, as after a crash), and be idempotent.
 */
export interface BackendWorker {
  /** Resolves once the worker takes jobs; rejects when it cannot start (core then hard-stops it). */
  readonly ready: Promise<void>;
  /** `timeout` (ms) is only passed for backends written before core enforced it; ignore it. */
  stop(options: { graceful: boolean; timeout?: number }): Promise<void>;
  /**
   * Optional: false once the worker no longer takes jobs for a reason of its own (the backend stopped
   * it), so that `worker.health()` says `stopped` instead of `ready`. Absent: core's view only.
   */
  takingJobs?(): boolean;
}

/**
 * A backend adapter. One instance serves one client (core enforces it). Core also refuses every
 * call after `close()`, validates every option, and picks `work` or `handler` from
 * `capabilities.execution`, so an adapter implements only what its backend does.
 */
export interface Backend {
  readonly capabilities: Capabilities;
  /** Called once by `createSwitchyard` before anything else. */
  attach(runtime: JobRuntime): void;
  /** Enqueues in order; returns one result per request, in the same order. */
  enqueue(requests: ReadonlyArray<EnqueueRequest>): Promise<EnqueueResult[]>;
  get(id: string): Promise<JobSnapshot | undefined>;
  /** Cancels a waiting, delayed or (where supported) running job; false when it is finished or unknown. */
  cancel(id: string): Promise<boolean>;
  /** Runs a failed job again with a fresh attempt count; false when it is not failed. */
  retry(id: string): Promise<boolean>;
  /**
   * Failed jobs, most recently failed first. Without `job`, this client's jobs; a client with no jobs
   * (an operator's client: the CLI, the dashboard) covers every job the backend holds in its namespace
   * (key prefix, schema). The same rule holds for `counts`, `list`, `retryFailed` and `listSchedules`.
   */
  listFailed(options: { job?: string; limit: number }): Promise<JobSnapshot[]>;
  /**
   * With feature `jobs.counts`: jobs per state, every state of `capabilities.jobStates.counted` and
   * no other (core drops the rest). `job` filters by job name, registered with this client or not;
   * without it, the scope of `listFailed`.
   */
  counts?(options: { job?: string }): Promise<JobCounts>;
  /**
   * With feature `jobs.list`: one page of jobs in `state` (core has checked it is one of
   * `capabilities.jobStates.listed`, and `limit` is 1..1000), newest first. `cursor` is what this
   * method returned for the previous page, opaque to core; an unusable cursor is a ConfigError.
   */
  list?(options: { state: JobState; job?: string; limit: number; cursor?: string }): Promise<JobPage>;
  /**
   * With feature `jobs.retryFailed` native: retries up to `limit` failed jobs at once, returning their
   * ids. Without it (`emulated`), core lists failed jobs and calls `retry(id)` for each.
   */
  retryFailed?(options: { job?: string; limit: number }): Promise<string[]>;
  /** `declared`: the schedule comes from `defineJob` (declarative backends may already know it). */
  upsertSchedule(entry: ScheduleEntry, options: { declared: boolean }): Promise<void>;
  removeSchedule(id: string): Promise<boolean>;
  listSchedules(): Promise<ScheduleEntry[]>;
  /** Execution `embedded` or `worker` (and only those): starts a worker in this process. */
  work?(options: Required<WorkerOptions>): BackendWorker;
  /** Execution `http` (and only it): the HTTP route the platform calls. */
  handler?(): (request: Request) => Promise<Response>;
  /** Releases connections, servers and timers. Called once; core refuses every call afterwards. */
  close(): Promise<void>;
}

export type { StopOptions };
