import { type JobDefinition, NotSupportedError, type ScheduleEntry } from "@switchyard/core";
import type { JobRuntime } from "@switchyard/core/adapter";
import type { Inngest, InngestFunction } from "inngest";
import { attemptResponse } from "./attempt-response.js";
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
 * - no steps: each Inngest attempt is one Switchyard attempt, run by core, whose outcome becomes
 *   a return, a RetryAfterError or a NonRetriableError (attempt-response.ts);
 * - checkpointing off: with no steps there is nothing to checkpoint, and every attempt is then
 *   one plain request and response.
 */
export function jobFunction(
  client: Inngest.Any,
  job: JobDefinition,
  runtime: JobRuntime,
  signals: RequestSignals,
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
      checkpointing: false,
      ...(job.concurrency === undefined
        ? {}
        : { concurrency: { limit: job.concurrency, key: CONCURRENCY_KEY_EXPRESSION } }),
      triggers: [{ event: eventNameFor(job.name) }, ...[...schedules.keys()].map((cron) => ({ cron }))],
    },
    async ({ event, runId, attempt, maxAttempts }) => {
      const scheduled = event.name === SCHEDULED_EVENT;
      const schedule: ScheduleEntry | undefined = scheduled
        ? schedules.get(String((event.data as { cron?: unknown }).cron))
        : undefined;
      const outcome = await runtime.runAttempt(job.name, {
        // A scheduled run was never enqueued: its id is the run's.
        id: scheduled ? runId : String(event.id),
        payload: scheduled ? (schedule?.payload ?? {}) : payloadOf(event.data),
        attempt: attempt + 1,
        maxAttempts: maxAttempts ?? job.retry.maxAttempts,
        signal: signals.get(runId),
        traceContext: scheduled ? undefined : traceContextOf(event.data),
      });
      return attemptResponse(outcome, attempt + 1);
    },
  );
}
