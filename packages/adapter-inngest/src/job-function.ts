import { type JobDefinition, NotSupportedError, type ScheduleEntry } from "@switchyard/core";
import type { JobRuntime } from "@switchyard/core/adapter";
import type { Inngest, InngestFunction } from "inngest";
import type { AttemptInterrupts } from "./attempt-interrupts.js";
import { attemptResponse } from "./attempt-response.js";
import { inngestSteps, type SdkStepTools } from "./inngest-steps.js";
import { CONCURRENCY_KEY_EXPRESSION, payloadOf, traceContextOf } from "./job-event.js";
import { eventNameFor } from "./job-id.js";
import type { RequestSignals } from "./request-signals.js";
import { schedulesByTrigger } from "./schedule-triggers.js";

/** Inngest allows at most 20 retries (https://www.inngest.com/docs/features/inngest-functions/error-retries/retries). */
export const MAX_ATTEMPTS = 21;

/** The event Inngest sends for a cron trigger. */
const SCHEDULED_EVENT = "inngest/scheduled.timer";

type Retries = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13 | 14 | 15 | 16 | 17 | 18 | 19 | 20;

/**
 * One Switchyard job as one Inngest function (id = the job name):
 * - triggered by the event `switchyard/<job name>` and by a cron trigger per declared schedule;
 * - `retries` = maxAttempts - 1 (Inngest counts retries, Switchyard counts attempts);
 * - `concurrency` = the job's limit, per concurrency key (an unkeyed enqueue shares one bucket);
 * - each call is one Switchyard attempt, run by core, whose outcome becomes a return, a
 *   RetryAfterError or a NonRetriableError (attempt-response.ts); `ctx.step` is the SDK's own step
 *   tools (inngest-steps.ts), so Inngest memoizes steps, keeps sleeps and runs invoked children;
 * - checkpointing on (the SDK's default, said here because the design depends on it): the SDK runs
 *   each new step in the request that meets it, records it with Inngest (`POST
 *   /v1/checkpoint/{run}/async`) and lets the handler go on, so a handler runs once per attempt up
 *   to a sleep, an invoke or a failing step, as on every backend, instead of once per step (the
 *   classic protocol). Inngest enables it by sending `ctx.fn_id` (I:components/InngestFunction.js,
 *   shouldAsyncCheckpoint); without it the SDK falls back to one step per request, which is still
 *   correct, only slower;
 * - an attempt the SDK abandons at a step is interrupted once the request is answered
 *   (attempt-interrupts.ts).
 */
export function jobFunction(
  client: Inngest.Any,
  job: JobDefinition,
  runtime: JobRuntime,
  signals: RequestSignals,
  interrupts: AttemptInterrupts,
  functionOf: (jobName: string) => InngestFunction.Any | undefined,
): InngestFunction.Any {
  if (job.retry.maxAttempts > MAX_ATTEMPTS) {
    throw new NotSupportedError(
      "inngest",
      `job "${job.name}": retry.maxAttempts ${job.retry.maxAttempts}`,
      `Inngest allows at most 20 retries, so maxAttempts can be at most ${MAX_ATTEMPTS}`,
    );
  }
  const schedules = schedulesByTrigger(job.name, job.schedules);
  return client.createFunction(
    {
      id: job.name,
      name: job.name,
      retries: (job.retry.maxAttempts - 1) as Retries,
      checkpointing: true,
      ...(job.concurrency === undefined
        ? {}
        : { concurrency: { limit: job.concurrency, key: CONCURRENCY_KEY_EXPRESSION } }),
      triggers: [{ event: eventNameFor(job.name) }, ...[...schedules.keys()].map((cron) => ({ cron }))],
    },
    async ({ event, runId, attempt, maxAttempts, step }) => {
      const scheduled = event.name === SCHEDULED_EVENT;
      const schedule: ScheduleEntry | undefined = scheduled
        ? schedules.get(String((event.data as { cron?: unknown }).cron))
        : undefined;
      // A scheduled run was never enqueued: its id is the run's.
      const id = scheduled ? runId : String(event.id);
      const stepAttempt = {
        job,
        attempt: attempt + 1,
        maxAttempts: maxAttempts ?? job.retry.maxAttempts,
        functionOf,
      };
      let unregister = () => {};
      const outcome = await runtime.runAttempt(job.name, {
        id,
        payload: scheduled ? (schedule?.payload ?? {}) : payloadOf(event.data),
        attempt: stepAttempt.attempt,
        maxAttempts: stepAttempt.maxAttempts,
        signal: signals.get(runId),
        traceContext: scheduled ? undefined : traceContextOf(event.data),
        nativeSteps: (interrupt) => {
          unregister = interrupts.register(interrupt);
          return inngestSteps(step as unknown as SdkStepTools, stepAttempt);
        },
      });
      unregister();
      return attemptResponse(outcome, stepAttempt.attempt, id);
    },
  );
}
