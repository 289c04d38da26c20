import type { StepAttemptOutcome } from "@switchyard/core/adapter";
import { NonRetriableError, RetryAfterError } from "inngest";
import { completedOutput, type FailureCause } from "./run-output.js";

/**
 * Turns core's decision about one attempt into what the Inngest function returns or throws:
 * - completed: the result (with the attempt count, see CompletedRunOutput);
 * - retry: Inngest's RetryAfterError at the time core's policy chose (the job's backoff, jitter and
 *   max, or the handler's own RetryAfterError), so Inngest's 15 s+ backoff never applies;
 * - failed (permanent or out of attempts) and cancelled: NonRetriableError, so Inngest stops at once;
 *   its cause carries the job id and error code, which a parent's step.invoke reads (inngest-steps.ts);
 * - suspended: the attempt was interrupted (the SDK answered Inngest with a step's op and abandoned
 *   the handler, see attempt-interrupts.ts): nothing is returned to anyone.
 */
export function attemptResponse(outcome: StepAttemptOutcome, attempt: number, jobId: string): unknown {
  switch (outcome.type) {
    case "suspended":
      return undefined;
    case "completed":
      return completedOutput(outcome.result, attempt);
    case "retry":
      // A Date, not a number: the SDK rounds a number up to whole seconds, a date keeps milliseconds.
      // Inngest clips it to at least 1 s from now.
      throw new RetryAfterError(outcome.error.message, new Date(Date.now() + outcome.delayMs), {
        cause: outcome.cause,
      });
    case "failed":
    case "cancelled": {
      const cause: FailureCause = { switchyard: { attempts: attempt, id: jobId } };
      if (outcome.error.code !== undefined) cause.switchyard.code = outcome.error.code;
      const failure = new NonRetriableError(outcome.error.message, { cause });
      if (outcome.error.code !== undefined) Object.assign(failure, { code: outcome.error.code });
      const original = outcome.cause instanceof Error ? outcome.cause.stack : undefined;
      if (original) failure.stack = original;
      throw failure;
    }
  }
}
