import { type AttemptOutcome, decideAttemptOutcome } from "./attempt-outcome.js";
import { JobTimeoutError } from "./errors/job-timeout-error.js";
import type { JobDefinition, JobLogger, JobProgress } from "./interfaces.js";
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
  /** Stores progress. Default: ignored. */
  progress?: (value: JobProgress) => Promise<void>;
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
  const controller = new AbortController();
  const stopForwarding = forwardAbort(input.signal, controller);
  const timer =
    job.timeoutMs === undefined
      ? undefined
      : setTimeout(
          () =>
            controller.abort(new JobTimeoutError(`job "${job.name}" timed out after ${job.timeoutMs} ms`)),
          job.timeoutMs,
        );
  try {
    const payload = await validatePayload(job.name, job.schema, input.payload);
    const result = await untilAborted(
      Promise.resolve().then(() =>
        job.handler(payload, {
          id: input.id,
          name: job.name,
          attempt: input.attempt,
          maxAttempts,
          signal: controller.signal,
          log: logger,
          progress: input.progress ?? (async () => {}),
        }),
      ),
      controller.signal,
    );
    return { type: "completed", result };
  } catch (error) {
    return decideAttemptOutcome(error, input.attempt, maxAttempts, job.retry);
  } finally {
    if (timer) clearTimeout(timer);
    stopForwarding();
  }
}

/** Settles with the handler, or rejects with the signal's reason as soon as it aborts (a handler may ignore its signal). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function forwardAbort(source: AbortSignal | undefined, target: AbortController): () => void {
  if (!source) return () => {};
  const onAbort = () => target.abort(source.reason);
  if (source.aborted) onAbort();
  else source.addEventListener("abort", onAbort, { once: true });
  return () => source.removeEventListener("abort", onAbort);
}
