import { NotSupportedError, UnstorableResultError } from "@switchyard/core";

/**
 * Inngest's limits on one function run, as its server enforces them (G = inngest/inngest):
 * - at most 1,000 steps (`DefaultMaxStepLimit`, G:pkg/consts/consts.go:22-23; the executor fails the
 *   run "exceeded the step limit of 1000 steps", G:pkg/execution/executor/validate.go:64-95);
 * - a step's output at most 4 MiB (`MaxStepOutputSize`, consts.go:33-34);
 * - the run's state, every step output together, at most 32 MiB (`DefaultMaxStateSizeLimit`,
 *   consts.go:47-48; a checkpoint past it is refused 413, G:pkg/api/apiv1/checkpoint.go:400-410);
 * - a sleep at most 366 days ahead (`MaxSleepDuration`, consts.go:87-89); a plan may allow less
 *   (https://www.inngest.com/docs/usage-limits/inngest: 7 days on the free plan, a year on paid ones).
 * The adapter checks them itself, so a step past one fails the job at that step with a typed error
 * instead of a run the server cuts short.
 */
export const INNGEST_STEP_LIMITS = {
  steps: 1_000,
  stepOutputBytes: 4 * 1024 * 1024,
  stateBytes: 32 * 1024 * 1024,
  sleepMs: 366 * 86_400_000,
} as const;

/** Counts one run's steps and state as the handler replays them, and refuses a step past a limit. */
export class StepBudget {
  readonly #jobName: string;
  #steps = 0;
  #stateBytes = 0;

  constructor(jobName: string) {
    this.#jobName = jobName;
  }

  /** A new step call: NotSupportedError past the step limit. */
  countStep(id: string): void {
    this.#steps++;
    if (this.#steps > INNGEST_STEP_LIMITS.steps) {
      throw new NotSupportedError(
        "inngest",
        `step "${id}" of job "${this.#jobName}" (step ${this.#steps} of one run)`,
        `Inngest runs at most ${INNGEST_STEP_LIMITS.steps} steps in one function run; split the work into child jobs (ctx.step.invoke)`,
      );
    }
  }

  /** A step's stored output (JSON text), memoized or new. */
  addOutput(id: string, json: string): void {
    const bytes = Buffer.byteLength(json);
    if (bytes > INNGEST_STEP_LIMITS.stepOutputBytes) {
      throw new UnstorableResultError(
        `step "${id}" of job "${this.#jobName}" returned ${bytes} bytes of JSON; Inngest stores at most ${INNGEST_STEP_LIMITS.stepOutputBytes} bytes per step`,
      );
    }
    if (this.#stateBytes + bytes > INNGEST_STEP_LIMITS.stateBytes) {
      throw new UnstorableResultError(
        `step "${id}" of job "${this.#jobName}" would bring the run's stored step results to ${this.#stateBytes + bytes} bytes; Inngest keeps at most ${INNGEST_STEP_LIMITS.stateBytes} bytes per run`,
      );
    }
    this.#stateBytes += bytes;
  }

  /** A sleep of `ms`: NotSupportedError past Inngest's longest sleep. */
  checkSleep(id: string, ms: number): void {
    if (ms > INNGEST_STEP_LIMITS.sleepMs) {
      throw new NotSupportedError(
        "inngest",
        `ctx.step.sleep("${id}") of ${ms} ms in job "${this.#jobName}"`,
        "Inngest sleeps at most 366 days (7 days on the free plan)",
      );
    }
  }
}
