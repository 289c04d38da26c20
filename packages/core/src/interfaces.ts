// Public types of Switchyard, in one place. Each field's default is in its JSDoc.
import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { Duration } from "./duration.js";

/** Any Standard Schema (zod 4, valibot, arktype, ...). Its input type is what `enqueue` takes. */
export type PayloadSchema = StandardSchemaV1;
export type PayloadInput<S extends PayloadSchema> = StandardSchemaV1.InferInput<S>;
export type PayloadOutput<S extends PayloadSchema> = StandardSchemaV1.InferOutput<S>;

/** How long to wait before the next attempt. */
export interface BackoffPolicy {
  /** `fixed`: always `delay`. `exponential`: `delay * factor^(retry - 1)`, retry counting from 1. */
  type: "fixed" | "exponential";
  /** The first delay. */
  delay: Duration;
  /** Growth per retry for `exponential`. Default 2. */
  factor?: number;
  /** Upper bound of any delay. Default: none. */
  max?: Duration;
}

export interface RetryPolicy {
  /** Every attempt counts, the first included: 1 means never retry. Default 3. */
  maxAttempts?: number;
  /** Default `{ type: "exponential", delay: "1s", factor: 2 }` (no max). */
  backoff?: BackoffPolicy;
  /**
   * Random spread applied to each delay, 0..1: a delay d becomes uniform in [d·(1-jitter), d].
   * Jitter only ever shortens, so `max` stays a true bound. Default 0.
   */
  jitter?: number;
}

/** A recurring run of a job. `cron` and `every` are exclusive. */
export interface ScheduleSpec<TInput = unknown> {
  /** Stable id; upserting the same id replaces the schedule. Default: the job name (plus `:n` for the n-th schedule). */
  id?: string;
  /** Five fields, or six with seconds first where the backend supports seconds. */
  cron?: string;
  /** IANA time zone of `cron`, e.g. `"Europe/Paris"`. Default `"UTC"`. */
  timezone?: string;
  /** A fixed interval instead of a cron expression, where the backend allows it. */
  every?: Duration;
  /** The payload of each run; validated against the job's schema before the schedule is stored. Default `{}`. */
  payload?: TInput;
}

/** A schedule as stored by a backend, resolved to one job. */
export interface ScheduleEntry {
  id: string;
  job: string;
  cron?: string;
  timezone?: string;
  everyMs?: number;
  payload: unknown;
  /** The next time it fires, where the backend knows it. */
  nextRunAt?: Date;
  /**
   * True when the schedule comes from a `defineJob` (stored by `work()` or `schedules.sync()`): the
   * code owns it, and a sync removes it once no job declares it any more. False or absent: made with
   * `schedules.upsert`, left alone by syncs.
   */
  declared?: boolean;
}

/** What a handler sees besides its payload. */
export interface JobContext {
  /** The job's id, as returned by `enqueue`. */
  id: string;
  /** The job's name. */
  name: string;
  /** 1 on the first attempt. */
  attempt: number;
  /** From the retry policy. */
  maxAttempts: number;
  /** Aborted when the job is cancelled, times out, or the worker is stopped without grace. */
  signal: AbortSignal;
  log: JobLogger;
  /** Reports progress (a number 0..100 or any JSON object); visible through `get(id)` where supported. */
  progress(value: JobProgress): Promise<void>;
  /** Durable steps: memoized work, sleeps and child jobs that survive retries, crashes and deploys. */
  step: JobSteps;
}

/**
 * Durable steps (see docs/steps.md). A handler runs from the top on every attempt and every resume;
 * each step already completed returns its stored result without running again. Code between steps
 * runs again each time: keep side effects inside steps. Step ids must be unique within one run and
 * stable across deploys. Where the backend has no steps, every call rejects with NotSupportedError.
 */
export interface JobSteps {
  /**
   * Runs `fn` once for this job: its (JSON) result is stored before the handler goes on, and later
   * attempts return it without calling `fn`. A throw fails the attempt (the retry policy applies);
   * a result JSON cannot hold fails the job (UnstorableResultError).
   */
  run<T>(id: string, fn: () => T | Promise<T>): Promise<T>;
  /** Suspends the job for `duration`: it leaves the worker (no slot, no lock) and resumes when due. Not an attempt. */
  sleep(id: string, duration: Duration): Promise<void>;
  /** Suspends the job until `until` (at once if it is past). */
  sleepUntil(id: string, until: Date): Promise<void>;
  /**
   * Enqueues `job` as a child (validated like any enqueue; once per step, even on replay) and
   * suspends until it ends: its result is the step's result. A child that fails for good throws
   * ChildJobFailedError (with the child's id and error) here.
   */
  invoke<S extends PayloadSchema, R>(
    id: string,
    job: JobDefinition<S, R>,
    payload: PayloadInput<S>,
    options?: Omit<EnqueueOptions, "idempotencyKey" | "idempotencyTtl">,
  ): Promise<R>;
}

export type JobProgress = number | Record<string, unknown>;

export interface JobLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export type JobHandler<TPayload, TResult> = (
  payload: TPayload,
  ctx: JobContext,
) => Promise<TResult> | TResult;

/** What `defineJob` takes. */
export interface JobConfig<S extends PayloadSchema, TResult = unknown> {
  /** Stable id: the queue job name, function id, task id or route segment. Letters, digits, `.`, `-`, `_`. */
  name: string;
  /** Validates the payload at enqueue and again before the handler runs. */
  schema: S;
  handler: JobHandler<PayloadOutput<S>, TResult>;
  /** Default `{ maxAttempts: 3, backoff: exponential from 1s, factor 2, jitter: 0 }`. */
  retry?: RetryPolicy;
  /** Derives an idempotency key from the payload; a per-enqueue `idempotencyKey` wins. Default: none. */
  idempotencyKey?: (payload: PayloadInput<S>) => string | undefined;
  /** How long a key is remembered. Default: the backend's window (see its capabilities). */
  idempotencyTtl?: Duration;
  /** Recurring runs, defined with the job. Default: none. */
  schedule?: ScheduleSpec<PayloadInput<S>> | ReadonlyArray<ScheduleSpec<PayloadInput<S>>>;
  /** The most attempts of this job running at once, across all workers where the backend can enforce it. Default: unlimited. */
  concurrency?: number;
  /** An attempt running longer fails with JobTimeoutError (and its signal aborts). Default: none. */
  timeout?: Duration;
}

/** A job, ready to be registered with `createSwitchyard`. Created by `defineJob`. */
export interface JobDefinition<S extends PayloadSchema = PayloadSchema, TResult = unknown> {
  readonly name: string;
  readonly schema: S;
  readonly handler: JobHandler<PayloadOutput<S>, TResult>;
  readonly retry: ResolvedRetryPolicy;
  readonly idempotencyKey?: (payload: PayloadInput<S>) => string | undefined;
  readonly idempotencyTtlMs?: number;
  readonly schedules: ReadonlyArray<ScheduleEntry>;
  readonly concurrency?: number;
  readonly timeoutMs?: number;
}

/** Any job, whatever its schema and result: what a client or a list of jobs holds. */
// biome-ignore lint/suspicious/noExplicitAny: the schema sits in parameter position, so only `any` accepts every job.
export type AnyJobDefinition = JobDefinition<any, any>;

/** A retry policy with every default filled in and durations in milliseconds. */
export interface ResolvedRetryPolicy {
  maxAttempts: number;
  backoff: { type: "fixed" | "exponential"; delayMs: number; factor: number; maxMs?: number };
  jitter: number;
}

export interface EnqueueOptions {
  /** Run no sooner than this long from now. Default: at once. */
  delay?: Duration;
  /** Run no sooner than this time. Exclusive with `delay`. */
  runAt?: Date;
  /** Lower runs first among waiting jobs of one backend; integer 0..1000. Default 0. */
  priority?: number;
  /** Overrides the job's `idempotencyKey(payload)`. A second enqueue with a live key returns the first job's id. */
  idempotencyKey?: string;
  /** Overrides the job's `idempotencyTtl`. */
  idempotencyTtl?: Duration;
  /** Jobs sharing a key share the job's `concurrency` limit per key instead of globally. */
  concurrencyKey?: string;
}

export interface EnqueueResult {
  /** The job's id; for a deduplicated enqueue, the id of the job that holds the key. */
  id: string;
  /** True when the idempotency key was live and nothing new was enqueued. */
  deduplicated: boolean;
}

export type JobState = "waiting" | "delayed" | "active" | "completed" | "failed" | "cancelled";

export interface JobError {
  message: string;
  /** A Switchyard error code (`SWITCHYARD_PERMANENT`, ...) or the error's name. */
  code?: string;
}

/** What `get(id)` and `listFailed()` return. Fields a backend cannot know are left out. */
export interface JobSnapshot {
  id: string;
  name: string;
  state: JobState;
  payload: unknown;
  /** Attempts started so far. */
  attempts: number;
  maxAttempts: number;
  progress?: JobProgress;
  result?: unknown;
  error?: JobError;
  createdAt?: Date;
  /** When a delayed or retrying job becomes due. */
  runAt?: Date;
  finishedAt?: Date;
  /** Ids of the durable steps completed so far, where the backend keeps steps. */
  steps?: string[];
}

export interface ListFailedOptions {
  /** Only this job's failures. Default: all jobs. */
  job?: string | undefined;
  /** Default 100. */
  limit?: number | undefined;
}

/** Jobs per state. A state the backend cannot count is absent (`capabilities.jobStates.counted` lists the others). */
export type JobCounts = Partial<Record<JobState, number>>;

export interface CountOptions {
  /**
   * Only this job's, defined by this client or not. Default: the jobs this client defines (other apps
   * sharing the store are left out); a client defined with no jobs (an operator's) covers them all.
   */
  job?: string | undefined;
}

export interface ListOptions {
  /** The state of the jobs to list; one of `capabilities.jobStates.listed`. */
  state: JobState;
  /**
   * Only this job's, defined by this client or not. Default: the jobs this client defines (other apps
   * sharing the store are left out); a client defined with no jobs (an operator's) covers them all.
   */
  job?: string | undefined;
  /** The most jobs in one page, 1..1000. Default 100. */
  limit?: number | undefined;
  /** The `cursor` of the previous page, to get the next one. Default: the first page. */
  cursor?: string | undefined;
}

/** One page of `jobs.list()`: newest first (by creation, or by when the job reached its state where the backend orders that way). */
export interface JobPage {
  jobs: JobSnapshot[];
  /** Pass it as `cursor` for the next page; absent on the last page. */
  cursor?: string;
}

export interface RetryFailedOptions {
  /** Only this job's failures. Default: the jobs this client defines (all, for a client with none). */
  job?: string | undefined;
  /** The most jobs retried by this call. Default 1000. */
  limit?: number | undefined;
}

export interface RetryFailedResult {
  /** The ids of the failed jobs that now run again (each with a fresh attempt count). */
  retried: string[];
}

export interface WorkerOptions {
  /** Attempts run at once by this worker, across jobs. Default 10. */
  concurrency?: number;
}

export interface StopOptions {
  /** Wait for running attempts to finish (true) or abort them at once (false). Default true. */
  graceful?: boolean;
  /** With `graceful`, abort what is still running after this long. Default: wait for ever. */
  timeout?: Duration;
}

/** A running pull worker. */
export interface Worker {
  /** Resolves once the worker is taking jobs. */
  readonly ready: Promise<void>;
  stop(options?: StopOptions): Promise<void>;
  /** For liveness and readiness probes: whether the worker takes jobs, and when it last ran one. */
  health(): WorkerHealth;
}

/**
 * A worker's state for probes. The attempt figures count every attempt this client runs in this
 * process (one worker per client is the usual case).
 */
export interface WorkerHealth {
  /**
   * `starting` until `ready` resolves; `ready` while it takes jobs; `failed` when it could not start;
   * `stopping` once `stop()` was called; `stopped` once the stop has completed, or once the backend
   * stopped the worker on its own (PostgreSQL: its schema migrated by a newer graphile-worker).
   */
  status: "starting" | "ready" | "failed" | "stopping" | "stopped";
  /** True exactly when `status` is `ready`: answer a readiness probe with it. */
  takingJobs: boolean;
  /** When `work()` was called. */
  startedAt: Date;
  /** Attempts running now. */
  running: number;
  /** When an attempt last started; absent before the first. */
  lastAttemptStartedAt?: Date;
  /** When an attempt last ended (any outcome); absent before the first. */
  lastAttemptEndedAt?: Date;
}
