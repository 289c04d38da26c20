import { type AnyJobDefinition, JobCancelledError, type JobProgress } from "@switchyard/core";
import type { JobRuntime } from "@switchyard/core/adapter";
import { type AnyTask, type Context, metadata, schemaTask } from "@trigger.dev/sdk";
import { AttemptOutcomeError, catchAttemptError } from "./attempt-outcome-error.js";
import { jobIdOf } from "./job-tags.js";
import { triggerRetryOptions } from "./retry-options.js";
import { runAttemptWithSteps } from "./run-with-steps.js";
import { currentTraceContext } from "./trace-metadata.js";

/** The run metadata key that holds a job's progress (`ctx.progress(value)`). */
export const PROGRESS_METADATA_KEY = "progress";

/**
 * The run metadata key that holds when the run's next attempt starts, written before an attempt
 * that will be retried ends: between two attempts Trigger.dev reports a run as EXECUTING
 * (RETRYING_AFTER_FAILURE is shown as EXECUTING, W:apps/webapp/app/presenters/v3/
 * ApiRetrieveRunPresenter.server.ts:403-428) and says nothing of the next attempt's time.
 */
export const RETRY_AT_METADATA_KEY = "switchyard.retryAt";

/**
 * A job as a Trigger.dev task, with the job's name as its id:
 * - `schemaTask`, typed with the job's payload, whose parser passes the payload through
 *   unchanged: core validates it before the handler (the one place that does, so a payload that
 *   no longer matches fails with SWITCHYARD_VALIDATION, not Trigger.dev's TASK_INPUT_ERROR);
 * - `retry` from the job's policy (retry-options.ts), and `catchError` returning core's exact
 *   decision for each failed attempt;
 * - `concurrency: { perKey }` from the job's `concurrency`: "perKey caps each concurrencyKey pool
 *   separately; runs triggered without a key share one pool" (trigger.dev/docs/concurrency),
 *   which is Switchyard's rule for `concurrency` and `concurrencyKey`.
 *
 * Each attempt runs through `runtime.runAttempt`, with the job's durable steps (run-with-steps.ts):
 * completed → the run's output; anything else → an AttemptOutcomeError for `catchError`.
 */
export function jobTask(job: AnyJobDefinition, runtime: JobRuntime): AnyTask {
  return schemaTask({
    id: job.name,
    description: `Switchyard job "${job.name}"`,
    schema: (payload: unknown) => payload,
    retry: triggerRetryOptions(job.retry),
    ...(job.concurrency === undefined ? {} : { concurrency: { perKey: job.concurrency } }),
    run: (payload, { ctx, signal }) => runJobAttempt(runtime, job, payload, ctx, signal),
    catchError: ({ error }) => catchAttemptError(error),
  }) as AnyTask;
}

async function runJobAttempt(
  runtime: JobRuntime,
  job: AnyJobDefinition,
  payload: unknown,
  ctx: Context,
  signal: AbortSignal,
): Promise<unknown> {
  const run = { id: ctx.run.id, signal };
  const outcome = await runAttemptWithSteps(runtime, job.name, run, {
    id: jobIdOf(ctx.run.tags, ctx.run.id),
    payload,
    attempt: ctx.attempt.number,
    maxAttempts: job.retry.maxAttempts,
    // Trigger.dev aborts the run's signal when the run is cancelled (or exceeds a maxDuration,
    // which the adapter never sets).
    registerAbort: (abort) => {
      const cancelled = () => abort(new JobCancelledError(`run ${ctx.run.id} was cancelled`));
      if (signal.aborted) cancelled();
      else signal.addEventListener("abort", cancelled, { once: true });
    },
    progress: reportProgress,
    traceContext: currentTraceContext(),
  });
  if (outcome.type === "completed") return outcome.result;
  const error = new AttemptOutcomeError(outcome);
  if (error.retryAt) await recordRetryAt(error.retryAt);
  throw error;
}

/** Keeps the next attempt's time in the run's metadata, for `get(id)`; the retry happens regardless. */
async function recordRetryAt(retryAt: Date): Promise<void> {
  try {
    metadata.set(RETRY_AT_METADATA_KEY, retryAt.toISOString());
    await metadata.flush();
  } catch {
    // Only `get(id)` loses something: it shows the job active, not delayed, until its next attempt.
  }
}

/** Progress lives in the run's metadata; flushed at once so that `get(id)` sees it. */
async function reportProgress(value: JobProgress): Promise<void> {
  metadata.set(PROGRESS_METADATA_KEY, value as Parameters<typeof metadata.set>[1]);
  await metadata.flush();
}
