import { UnstorableResultError } from "@switchyard/core";
import type { StepRecord, StepStore } from "@switchyard/core/adapter";
import type { Continuation } from "./continuation.js";

/**
 * The steps of one delivery: those the delivered continuation carried, plus those completed during
 * this delivery. `save` records in memory only and the attempt suspends after each `step.run`
 * (`suspendsAfterEachRun`): the handler then publishes the continuation carrying every step before
 * it answers, so a step is durable before any later code of the job runs. A continuation that would
 * not fit in one QStash message fails the job at the step that made it too big.
 */
export class ContinuationStore implements StepStore {
  readonly suspendsAfterEachRun = true;
  readonly #steps: Map<string, StepRecord>;
  readonly #base: Omit<Continuation, "steps">;
  readonly #maxBytes: number;
  #added = 0;
  #ended = false;

  constructor(carried: Continuation, maxBytes: number) {
    this.#steps = new Map(carried.steps);
    this.#base = { switchyard: "continuation", attempt: carried.attempt, payload: carried.payload };
    this.#maxBytes = maxBytes;
  }

  /**
   * Read by core before each step. Once the delivery has its outcome, a handler that went on (one
   * that ignores its abort signal, or outlived its request) is refused here before the step runs:
   * the job's next delivery owns its steps.
   */
  get completed(): ReadonlyMap<string, StepRecord> {
    if (this.#ended) throw new DeliveryEndedError();
    return this.#steps;
  }

  /** Called once the delivery has its outcome: no step runs or is recorded after it. */
  end(): void {
    this.#ended = true;
  }

  /** True once a step completed in this delivery (it is then lost unless a continuation carries it). */
  get changed(): boolean {
    return this.#added > 0;
  }

  async save(stepId: string, record: StepRecord): Promise<void> {
    if (this.#ended) throw new DeliveryEndedError();
    const steps = new Map(this.#steps).set(stepId, record);
    const bytes = Buffer.byteLength(JSON.stringify(this.#continuation(this.#base.attempt, steps)));
    if (bytes > this.#maxBytes) {
      throw new UnstorableResultError(
        `step "${stepId}": the job's steps and payload would take ${bytes} bytes, over the ${this.#maxBytes} bytes of one QStash message (the maxMessageBytes option: your plan's maximum message size); store large results elsewhere and return a reference`,
      );
    }
    this.#steps.set(stepId, record);
    this.#added++;
  }

  /** The continuation carrying every step so far, to run as `attempt`. */
  continuation(attempt: number): Continuation {
    return this.#continuation(attempt, this.#steps);
  }

  #continuation(attempt: number, steps: ReadonlyMap<string, StepRecord>): Continuation {
    return { ...this.#base, attempt, steps: [...steps] };
  }
}

/** A step was called by a handler whose delivery is over (it ignored its abort, or outlived its request). */
export class DeliveryEndedError extends Error {
  constructor() {
    super("a step was called after its delivery ended; it does not run (the job's next delivery runs it)");
    this.name = "DeliveryEndedError";
  }
}
