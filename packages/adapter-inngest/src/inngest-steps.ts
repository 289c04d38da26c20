import {
  ChildJobFailedError,
  ConfigError,
  type JobDefinition,
  type JobError,
  NotSupportedError,
  PermanentError,
} from "@switchyard/core";
import { decideAttemptOutcome, type NativeSteps } from "@switchyard/core/adapter";
import { type InngestFunction, RetryAfterError } from "inngest";
import type { JobEventData } from "./job-event.js";
import { StepBudget } from "./step-limits.js";

/** The inngest SDK's step tools, as far as the adapter uses them. */
export interface SdkStepTools {
  run(id: string, fn: () => Promise<unknown>): Promise<unknown>;
  sleep(id: string, ms: number): Promise<void>;
  sleepUntil(id: string, until: Date): Promise<void>;
  invoke(id: string, options: { function: InngestFunction.Any; data: JobEventData }): Promise<unknown>;
}

/** What a `step.run` stores in Inngest: the result (absent for `undefined`), or the failure that ended the job. */
type StepEnvelope = { result?: unknown } | { failed: JobError };

/** The attempt the step tools serve. */
export interface StepAttempt {
  job: JobDefinition;
  /** 1-based: Inngest's attempt + 1 (Inngest counts attempts per step). */
  attempt: number;
  maxAttempts: number;
  /** The Inngest function of a registered job, for `step.invoke`. */
  functionOf(jobName: string): InngestFunction.Any | undefined;
}

/**
 * ctx.step on Inngest's own step tools (core has checked ids, arguments and JSON results first):
 * - run: the SDK's step.run. The result is stored as `{ result }` so that `undefined` comes back as
 *   `undefined`. A throw is decided by core's policy inside the step: to be retried, it becomes the
 *   SDK's RetryAfterError at the policy's time (Inngest retries the step, counting attempts per
 *   step); to fail the job (PermanentError, last attempt, UnstorableResultError...), the handler
 *   gets the error at once, in the same request, and the step stores `{ failed }`, so a replay
 *   fails the same way;
 * - sleep / sleepUntil: the SDK's, so Inngest keeps the timer (the SDK rounds a sleep under 1 s up
 *   to 1 s);
 * - invoke: the SDK's step.invoke of the child job's Inngest function, with the payload as a
 *   Switchyard event's data; a child that fails becomes ChildJobFailedError with its job id (which
 *   the child's failure carries, see run-output.ts). `delay`, `runAt` and `priority` have no
 *   counterpart in an invoke: NotSupportedError.
 * Inngest's limits (step-limits.ts) are checked before a step goes to the SDK.
 */
export function inngestSteps(step: SdkStepTools, attempt: StepAttempt): NativeSteps {
  const budget = new StepBudget(attempt.job.name);
  return {
    run(id, fn) {
      budget.countStep(id);
      return new Promise((resolve, reject) => {
        /** Whether the step ran in this request (its output is counted there), or was memoized. */
        let ran = false;
        const body = async (): Promise<StepEnvelope> => {
          ran = true;
          let envelope: StepEnvelope;
          try {
            const result = await fn();
            envelope = result === undefined ? {} : { result };
            budget.addOutput(id, JSON.stringify(envelope));
          } catch (error) {
            const outcome = decideAttemptOutcome(
              error,
              attempt.attempt,
              attempt.maxAttempts,
              attempt.job.retry,
            );
            if (outcome.type === "retry") {
              // A Date keeps milliseconds (a number is rounded up to seconds); Inngest waits at least 1 s.
              throw new RetryAfterError(outcome.error.message, new Date(Date.now() + outcome.delayMs), {
                cause: error,
              });
            }
            reject(error);
            return { failed: "error" in outcome ? outcome.error : { message: String(error) } };
          }
          return envelope;
        };
        step.run(id, body).then((stored) => {
          const envelope = (stored ?? {}) as StepEnvelope;
          if ("failed" in envelope) return reject(replayedFailure(envelope.failed, attempt.job));
          if (!ran) {
            try {
              budget.addOutput(id, JSON.stringify(envelope));
            } catch (error) {
              return reject(error);
            }
          }
          resolve(envelope.result);
        }, reject);
      });
    },

    async sleep(id, ms) {
      budget.countStep(id);
      budget.checkSleep(id, ms);
      await step.sleep(id, ms);
    },

    async sleepUntil(id, until) {
      budget.countStep(id);
      budget.checkSleep(id, until.getTime() - Date.now());
      await step.sleepUntil(id, until);
    },

    async invoke(id, job, payload, options) {
      budget.countStep(id);
      for (const option of ["delay", "runAt", "priority"] as const) {
        if (options[option] !== undefined) {
          throw new NotSupportedError(
            "inngest",
            `ctx.step.invoke("${id}") with ${option}`,
            "an Inngest invoke starts the child function at once, with no delay or priority",
          );
        }
      }
      const fn = attempt.functionOf(job.name);
      if (!fn) {
        throw new ConfigError(
          `ctx.step.invoke("${id}"): job "${job.name}" is not registered with this client; Inngest can only invoke the app's own functions`,
        );
      }
      const data: JobEventData = { payload, job: job.name };
      if (job.concurrency !== undefined) {
        data.concurrencyKey = options.concurrencyKey === undefined ? "job" : `key:${options.concurrencyKey}`;
      }
      try {
        const result = await step.invoke(id, { function: fn, data });
        return completedResult(result);
      } catch (error) {
        throw childFailure(error, job.name);
      }
    },
  };
}

/**
 * The error a replayed `{ failed }` step throws: the job ended at that step, so it fails again for
 * good. The original code is kept where core treats it as final; otherwise (the last attempt of a
 * plain error) a PermanentError with the original message, so that no new attempt starts.
 */
function replayedFailure(failed: JobError, job: JobDefinition): Error {
  const error = Object.assign(new Error(failed.message), { code: failed.code });
  const final = decideAttemptOutcome(error, 1, 2, job.retry).type !== "retry";
  return final ? error : new PermanentError(failed.message);
}

/** A child's run output is `{ result, switchyard }` (run-output.ts): the step's result is `result`. */
function completedResult(output: unknown): unknown {
  if (typeof output === "object" && output !== null && "switchyard" in output) {
    return (output as { result?: unknown }).result;
  }
  return output;
}

/**
 * The SDK's StepError for a failed child (it has the `stepId` of the invoke): its message is the
 * child's, its cause the child's NonRetriableError cause, `{ switchyard: { attempts, id, code } }`
 * (attempt-response.ts). A child that ended otherwise (cancelled, or failed outside its handler)
 * carries no such cause: the parent still gets ChildJobFailedError, with an empty `childId` (Inngest
 * does not tell the parent its child's event id). Any other error (an SDK error before the invoke)
 * is passed on as it is.
 */
function childFailure(error: unknown, jobName: string): unknown {
  if (!(error instanceof Error) || !("stepId" in error)) return error;
  const cause = (error as { cause?: unknown }).cause;
  const marker = (cause as { switchyard?: { id?: unknown; code?: unknown } } | undefined)?.switchyard;
  const childError: JobError = { message: error.message };
  if (typeof marker?.code === "string") childError.code = marker.code;
  const childId = typeof marker?.id === "string" ? marker.id : "";
  return new ChildJobFailedError(childId, jobName, childError, "failed");
}
