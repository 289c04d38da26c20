import { AttemptAbort } from "./attempt-abort.js";
import { type AttemptOutcome, decideAttemptOutcome } from "./attempt-outcome.js";
import { JobTimeoutError } from "./errors/job-timeout-error.js";
import { ValidationError } from "./errors/validation-error.js";
import type { JobContext, JobDefinition, JobLogger, JobProgress } from "./interfaces.js";

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
  /** Stores progress. Default: ignored. */
  progress?: (value: JobProgress) => Promise<void>;
}

const ignoreProgress = async () => {};

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
  readonly #abort: AttemptAbort;

  constructor(input: AttemptInput, name: string, maxAttempts: number, log: JobLogger, abort: AttemptAbort) {
    this.id = input.id;
    this.name = name;
    this.attempt = input.attempt;
    this.maxAttempts = maxAttempts;
    this.log = log;
    this.progress = input.progress ?? ignoreProgress;
    this.#abort = abort;
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
): Promise<AttemptOutcome> {
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
      : setTimeout(
          () => abort.abort(new JobTimeoutError(`job "${job.name}" timed out after ${job.timeoutMs} ms`)),
          job.timeoutMs,
        );
  try {
    // Validated in place, not through the async validatePayload: a synchronous schema (the usual kind)
    // then costs no promise and no extra turn before the handler.
    const validated = job.schema["~standard"].validate(input.payload);
    const checked = "then" in validated ? await validated : validated;
    if (checked.issues) throw ValidationError.fromSchemaIssues(job.name, checked.issues);
    const payload = checked.value;
    const ctx = new AttemptContext(input, job.name, maxAttempts, logger, abort);
    // Settles with the handler, or as soon as the attempt is aborted (a handler may ignore its signal).
    const result = await new Promise<unknown>((resolve, reject) => {
      abort.onAbort(reject);
      Promise.resolve(job.handler(payload, ctx)).then(resolve, reject);
    });
    return { type: "completed", result };
  } catch (error) {
    return decideAttemptOutcome(error, input.attempt, maxAttempts, job.retry);
  } finally {
    if (timer) clearTimeout(timer);
    if (source && forward) source.removeEventListener("abort", forward);
  }
}
