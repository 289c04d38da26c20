import type { AttemptInput, AttemptOutcome, JobRuntime } from "@switchyard/core/adapter";
import { apiClientManager } from "@trigger.dev/core/v3";
import { metadata } from "@trigger.dev/sdk";
import { inheritSteps } from "./inherited-steps.js";
import { RunStepStore, type UpdateRunMetadata } from "./run-step-store.js";
import { suspendRun } from "./run-suspension.js";

/** The run the attempt belongs to: its id, and the signal Trigger.dev aborts when it is cancelled. */
export interface TriggerRun {
  id: string;
  signal: AbortSignal;
}

/**
 * One Trigger.dev attempt of a job, with its durable steps: `runtime.runAttempt` with the steps of
 * the run's metadata (run-step-store.ts); when a step suspends the job, the attempt waits
 * (run-suspension.ts) and runs the handler again from the top, until it ends in anything but
 * `suspended`, which it returns. A wait is not an attempt: `ctx.attempt` stays the same. A job
 * retried with `retry(id)` (a replay) starts with the steps of its earlier runs (inherited-steps.ts).
 *
 * Core registers an abort for each run of the handler; `input.registerAbort` (which listens to the
 * run's signal) is called once, and its abort goes to the handler's current run.
 */
export async function runAttemptWithSteps(
  runtime: JobRuntime,
  jobName: string,
  run: TriggerRun,
  input: AttemptInput & { steps?: undefined },
): Promise<AttemptOutcome> {
  const update = updateRunMetadata();
  const started = await inheritSteps(input.id, run.id, metadata.current(), update);
  let steps = RunStepStore.open(run.id, started, update, "Trigger.dev");
  run.signal.addEventListener("abort", () => steps.end(), { once: true });
  let abortCurrent: ((reason: unknown) => void) | undefined;
  let aborted: { reason: unknown } | undefined;
  let registered = false;
  const registerAbort = (abort: (reason: unknown) => void) => {
    abortCurrent = abort;
    if (aborted) abort(aborted.reason);
    if (registered || !input.registerAbort) return;
    registered = true;
    input.registerAbort((reason) => {
      aborted = { reason };
      abortCurrent?.(reason);
    });
  };
  const attempt = () => ({ ...input, registerAbort, steps });
  let outcome = await runtime.runAttempt(jobName, attempt());
  while (outcome.type === "suspended") {
    steps = steps.next();
    await suspendRun(run.id, outcome.until, run.signal, async (key, value) => {
      await update(run.id, { operations: [{ type: "set", key, value }] });
    });
    outcome = await runtime.runAttempt(jobName, attempt());
  }
  steps.end();
  return outcome;
}

/** `PUT /api/v1/runs/{id}/metadata` through the run's own API client, answered once stored. */
function updateRunMetadata(): UpdateRunMetadata {
  // Values are JSON (a step record, an ISO date), which is what the SDK's DeserializedJson types.
  type Body = Parameters<ReturnType<typeof apiClientManager.clientOrThrow>["updateRunMetadata"]>[1];
  return (runId, body) => apiClientManager.clientOrThrow().updateRunMetadata(runId, body as Body);
}
