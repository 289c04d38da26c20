import { AttemptAbort } from "./attempt-abort.js";
import { type AttemptOutcome, decideAttemptOutcome } from "./attempt-outcome.js";
import { JobTimeoutError } from "./errors/job-timeout-error.js";
import type { JobContext, JobDefinition, JobLogger, JobProgress } from "./interfaces.js";
import { validatePayload } from "./validate-payload.js";

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
    const payload = await validatePayload(job.name, job.schema, input.payload);
    const ctx: JobContext = {
      id: input.id,
      name: job.name,
      attempt: input.attempt,
      maxAttempts,
      get signal() {
        return abort.signal;
      },
      log: logger,
      progress: input.progress ?? ignoreProgress,
    };
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
