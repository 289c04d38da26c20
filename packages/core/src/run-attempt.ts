import { AttemptAbort } from "./attempt-abort.js";
import { decideAttemptOutcome, type StepAttemptOutcome } from "./attempt-outcome.js";
import { JobTimeoutError } from "./errors/job-timeout-error.js";
import { NotSupportedError } from "./errors/not-supported-error.js";
import { UnstorableResultError } from "./errors/unstorable-result-error.js";
import { ValidationError } from "./errors/validation-error.js";
import type { JobContext, JobDefinition, JobLogger, JobProgress, JobSteps } from "./interfaces.js";
import { ScopedLogger } from "./scoped-logger.js";
import { AttemptSteps, type StepServices } from "./steps/job-steps.js";
import type { NativeStepsFactory } from "./steps/native-steps.js";
import type { StepStore } from "./steps/step-record.js";
import type { TraceContext } from "./telemetry/trace-context.js";
import { setLongTimeout } from "./timers/long-timeout.js";

/** One attempt of a stored job, as an adapter hands it to core. */
export interface AttemptInput {
  id: string;
  /** The payload as stored (JSON), validated again here before the handler sees it. */
  payload: unknown;
  /** 1 on the first attempt. */
  attempt: number;
  /** Default: the job's `retry.maxAttempts`. Pass the stored value when the backend keeps one. */
  maxAttempts?: number;
  /** Abort it to cancel the attempt (its reason is passed on to the handler's signal). */
  signal?: AbortSignal;
  /**
   * Called at the start with a function that aborts this attempt: a cheaper alternative to `signal`
   * for adapters that abort rarely (no AbortController is made unless the handler reads its signal).
   */
  registerAbort?: (abort: (reason: unknown) => void) => void;
  /** Stores progress. Default: `ctx.progress()` rejects with NotSupportedError (fail closed, never ignored). */
  progress?: (value: JobProgress) => Promise<void>;
  /**
   * The job's durable steps, where the backend keeps them. An attempt that suspends (a sleep, a wait
   * for a child) ends with a `suspended` outcome. Default: `ctx.step.*` rejects with NotSupportedError.
   */
  steps?: StepStore;
  /** The trace context stored with the job at enqueue (`EnqueueRequest.traceContext`), if any. */
  traceContext?: TraceContext;
  /**
   * Steps the platform runs itself (Inngest): `ctx.step.*` is checked by core, then handed to the
   * tools this returns (see NativeStepsFactory). An attempt the adapter interrupts ends `suspended`.
   * Not together with `steps`. Default: none.
   */
  nativeSteps?: NativeStepsFactory;
}

/** A suspension asked for by a step: the attempt's race settles with it. */
class Suspension {
  constructor(readonly until: number) {}
}

/** `ctx.progress` where the backend keeps no progress: a NotSupportedError, which fails the job permanently. */
export function unsupportedProgress(backend: string): (value: JobProgress) => Promise<void> {
  return () =>
    Promise.reject(
      new NotSupportedError(
        backend,
        "ctx.progress()",
        "it keeps no progress; remove the call or log instead",
      ),
    );
}

const progressNotWired = unsupportedProgress("configured");

/**
 * The handler's context. A class, not an object literal with a `signal` getter: a literal's getter is
 * a new closure per attempt, so each context got its own hidden class, allocated in old space and
 * pointing at the attempt's objects: every attempt's garbage was promoted and left for a full GC
 * (10 µs per attempt in a hot loop, 4 µs with this class).
 */
class AttemptContext implements JobContext {
  readonly id: string;
  readonly name: string;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly log: JobLogger;
  readonly progress: (value: JobProgress) => Promise<void>;
  readonly step: JobSteps;
  readonly #abort: AttemptAbort;

  constructor(
    input: AttemptInput,
    name: string,
    maxAttempts: number,
    log: JobLogger,
    abort: AttemptAbort,
    step: JobSteps,
  ) {
    this.id = input.id;
    this.name = name;
    this.attempt = input.attempt;
    this.maxAttempts = maxAttempts;
    this.log = log;
    this.progress = input.progress ?? progressNotWired;
    this.#abort = abort;
    this.step = step;
  }

  /** Created on first read: see AttemptAbort. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }
}

/**
 * Runs one attempt of `job`: validates the payload, calls the handler with a context, enforces the
 * timeout, and turns whatever happens into an AttemptOutcome. It never throws.
 */
export async function runAttempt(
  job: JobDefinition,
  input: AttemptInput,
  logger: JobLogger,
  stepServices?: StepServices,
): Promise<StepAttemptOutcome> {
  const maxAttempts = input.maxAttempts ?? job.retry.maxAttempts;
  const abort = new AttemptAbort();
  const source = input.signal;
  const forward = source && (() => abort.abort(source.reason));
  if (source && forward) {
    if (source.aborted) forward();
    else source.addEventListener("abort", forward, { once: true });
  }
  input.registerAbort?.((reason) => abort.abort(reason));
  const timer =
    job.timeoutMs === undefined
      ? undefined
      : setLongTimeout(
          () => abort.abort(new JobTimeoutError(`job "${job.name}" timed out after ${job.timeoutMs} ms`)),
          job.timeoutMs,
          false,
        );
  try {
    // Validated in place, not through the async validatePayload: a synchronous schema (the usual kind)
    // then costs no promise and no extra turn before the handler.
    const validated = job.schema["~standard"].validate(input.payload);
    const checked = "then" in validated ? await validated : validated;
    if (checked.issues) throw ValidationError.fromSchemaIssues(job.name, checked.issues);
    const payload = checked.value;
    // Settles with the handler, as soon as the attempt is aborted (a handler may ignore its signal),
    // or when a step suspends the job (the handler's promise is then left pending for good).
    const result = await new Promise<unknown>((resolve, reject) => {
      abort.onAbort(reject);
      const suspend = (until: number) => resolve(new Suspension(until));
      const native = input.nativeSteps?.(() => suspend(Date.now()));
      const steps = new AttemptSteps(input.id, job.name, input.steps, stepServices, suspend, native);
      const log = new ScopedLogger(logger, input.id, job.name, input.attempt);
      const ctx = new AttemptContext(input, job.name, maxAttempts, log, abort, steps);
      Promise.resolve(job.handler(payload, ctx)).then(resolve, reject);
    });
    if (result instanceof Suspension) return { type: "suspended", until: new Date(result.until) };
    if (result === undefined) return { type: "completed", result };
    // What the backend will store: a result JSON cannot hold fails the job here, alike on every backend.
    const stored = storableResult(job.name, result);
    return { type: "completed", result: stored };
  } catch (error) {
    return decideAttemptOutcome(error, input.attempt, maxAttempts, job.retry);
  } finally {
    timer?.clear();
    if (source && forward) source.removeEventListener("abort", forward);
  }
}

/** The JSON copy of a handler's result, as every backend stores it (a Date becomes its ISO string). */
function storableResult(jobName: string, result: unknown): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(result);
  } catch (error) {
    throw new UnstorableResultError(
      `job "${jobName}" returned a result that cannot be stored as JSON: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return text === undefined ? undefined : JSON.parse(text);
}
