import { UnstorableResultError } from "@switchyard/core";
import type { StepRecord, StepStore } from "@switchyard/core/adapter";
import { ApiError } from "@trigger.dev/sdk";
import { triggerFailure } from "./trigger-request.js";

/** Each completed step is one run metadata key: this prefix, then the step id. */
export const STEP_METADATA_PREFIX = "switchyard.step:";

/**
 * Trigger.dev's default cap on a run's metadata, all keys together, as JSON
 * (`TASK_RUN_METADATA_MAXIMUM_SIZE`, W:apps/webapp/app/env.server.ts; "You can attach up to 256KB
 * of metadata to a run", trigger.dev/docs/runs/metadata). Self-hosted instances may set another.
 */
export const METADATA_LIMIT_BYTES = 262_144;

/** The one call the store makes: `PUT /api/v1/runs/{id}/metadata` with operations. */
export type UpdateRunMetadata = (
  runId: string,
  body: { operations: Array<{ type: "set"; key: string; value: unknown }> },
) => Promise<unknown>;

/** The steps a run's metadata holds, by step id. */
export function stepsInMetadata(metadata: Record<string, unknown> | undefined): Map<string, StepRecord> {
  const steps = new Map<string, StepRecord>();
  for (const [key, value] of Object.entries(metadata ?? {})) {
    if (key.startsWith(STEP_METADATA_PREFIX))
      steps.set(key.slice(STEP_METADATA_PREFIX.length), value as StepRecord);
  }
  return steps;
}

/**
 * A job's steps in its Trigger.dev run's metadata, which the platform keeps on the run across its
 * attempts and hands each attempt at its start (`ctx.run.metadata`, loaded by the task executor):
 *
 * - `completed`: the steps of the metadata the attempt started with, plus those saved since (a
 *   resume after a wait is the same attempt: `next()` carries them over).
 * - `save`: one `PUT /api/v1/runs/{id}/metadata` with a `set` operation, sent at once and awaited.
 *   Not `metadata.set()` + `metadata.flush()`: the SDK's flush returns at once when another flush
 *   is in flight, and logs and drops a failed one (C:runMetadata/manager.js flush), so it does not
 *   say the step is stored.
 * - One store serves one run of the handler: it is ended when that run is over (it returned,
 *   suspended, or the run was cancelled or lost its machine), and a handler that went on anyway
 *   (one that ignores its abort signal) is refused at its next step, before the step runs.
 * - Past Trigger.dev's metadata cap the platform answers 413 and keeps nothing
 *   (W:apps/webapp/app/utils/packets.ts MetadataTooLargeError): the step fails the job with an
 *   UnstorableResultError naming the limit. Other failures fail the attempt (the step runs again).
 */
export class RunStepStore implements StepStore {
  readonly #completed: Map<string, StepRecord>;
  readonly #runId: string;
  readonly #update: UpdateRunMetadata;
  readonly #target: string;
  #ended = false;

  constructor(runId: string, completed: Map<string, StepRecord>, update: UpdateRunMetadata, target: string) {
    this.#runId = runId;
    this.#completed = completed;
    this.#update = update;
    this.#target = target;
  }

  /** The store of an attempt that started with `metadata`. */
  static open(
    runId: string,
    metadata: Record<string, unknown> | undefined,
    update: UpdateRunMetadata,
    target: string,
  ): RunStepStore {
    return new RunStepStore(runId, stepsInMetadata(metadata), update, target);
  }

  /** Ends this store and returns the one for the handler's next run (a resume in the same attempt). */
  next(): RunStepStore {
    this.end();
    return new RunStepStore(this.#runId, this.#completed, this.#update, this.#target);
  }

  /** Read by core before each step: refused once this run of the handler is over. */
  get completed(): ReadonlyMap<string, StepRecord> {
    if (this.#ended) throw this.#endedError();
    return this.#completed;
  }

  end(): void {
    this.#ended = true;
  }

  async save(stepId: string, record: StepRecord): Promise<void> {
    if (this.#ended) throw this.#endedError();
    try {
      await this.#update(this.#runId, {
        operations: [{ type: "set", key: `${STEP_METADATA_PREFIX}${stepId}`, value: record }],
      });
    } catch (error) {
      if (error instanceof ApiError && error.status === 413) {
        throw new UnstorableResultError(
          `step "${stepId}" cannot be stored: Trigger.dev keeps a job's steps in its run's metadata, at most ${METADATA_LIMIT_BYTES / 1024} KB a run by default (${error.message}); return less from the step (an id, say, and keep the data elsewhere)`,
          { cause: error },
        );
      }
      throw triggerFailure("runs.updateMetadata", error, "unknown", this.#target);
    }
    this.#completed.set(stepId, record);
  }

  #endedError(): Error {
    const error = new Error(
      `a step of run ${this.#runId} was called after its run of the handler ended (it returned, suspended, or the run was cancelled or lost its machine); it does not run`,
    );
    error.name = "AttemptEndedError";
    return error;
  }
}
