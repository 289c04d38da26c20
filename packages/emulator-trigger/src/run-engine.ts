import {
  type FlushedRunMetadata,
  parsePacket,
  type ReplayRunRequestBody,
  type TaskRunExecutionResult,
  type TriggerTaskRequestBody,
} from "@trigger.dev/core/v3";
import { type AttemptContext, AttemptExecution, type AttemptResult } from "./attempt-execution.js";
import { buildExecution } from "./build-execution.js";
import { type CreateRunInput, type CreateRunResult, createRun, RunInputError } from "./create-run.js";
import { resolveDelay } from "./durations.js";
import { applyMetadataOperations } from "./metadata-operations.js";
import type { PacketStore } from "./packet-store.js";
import { RunDispatcher } from "./run-dispatcher.js";
import type { RunRecord } from "./run-record.js";
import { isCancellable, isFinalStatus } from "./run-status.js";
import type { RunStore } from "./run-store.js";
import { RunWaits } from "./run-waits.js";
import { findTask, findTaskManifest } from "./task-catalog.js";
import type { AttemptRecord } from "./types.js";

export interface RunEngineOptions {
  attemptContext: AttemptContext;
  timeScale: number;
  delayTimeScale: number;
  environmentLimit: number;
  execute: boolean;
  /** How long a dead machine's attempt stays EXECUTING before it is failed as stalled. */
  heartbeatTimeoutMs: number;
  /** The most bytes a run's metadata may take as JSON (`TASK_RUN_METADATA_MAXIMUM_SIZE`). */
  metadataMaximumSize: number;
}

/**
 * The run engine retries a stalled attempt 250 ms after it notices it, outside DEVELOPMENT
 * environments (W:internal-packages/run-engine/src/engine/index.ts:2705-2765, the EXECUTING case of
 * the heartbeat handler: `attemptFailed` with `retry: { delay: 250 }` and `forceRequeue`).
 */
const STALLED_RETRY_DELAY_MS = 250;

/**
 * Creates runs, moves them through their statuses and executes their attempts: the emulator's
 * stand-in for the platform's run engine plus its workers.
 */
export class RunEngine {
  /** Every attempt, in start order. */
  readonly attempts: AttemptRecord[] = [];
  /** Runs blocked by `wait.for` / `wait.until` (see RunWaits). */
  readonly waits: RunWaits;
  readonly #store: RunStore;
  readonly #packets: PacketStore;
  readonly #options: RunEngineOptions;
  readonly #dispatcher: RunDispatcher;
  readonly #executing = new Map<string, { execution: AttemptExecution; attempt: AttemptRecord }>();
  readonly #maxDurationTimers = new Map<string, NodeJS.Timeout>();
  readonly #stallTimers = new Set<NodeJS.Timeout>();
  /** The tasks of the deployed worker version; undefined until the first deploy (then: the whole catalog). */
  #deployed?: ReadonlySet<string>;

  constructor(store: RunStore, packets: PacketStore, options: RunEngineOptions) {
    this.#store = store;
    this.#packets = packets;
    this.#options = options;
    this.#dispatcher = new RunDispatcher(store, {
      environmentLimit: options.environmentLimit,
      delayTimeScale: options.delayTimeScale,
      canStart: (run) =>
        options.execute && this.isDeployed(run.taskIdentifier) && findTask(run.taskIdentifier) !== undefined,
      start: (run) => (this.waits.isRestoring(run.id) ? this.#restore(run) : this.#startAttempt(run)),
    });
    this.waits = new RunWaits({
      delayTimeScale: options.delayTimeScale,
      checkpoints: options.attemptContext.environment.type !== "DEVELOPMENT",
      checkpointed: (run) => {
        run.status = "WAITING";
        this.#store.changed(run);
        this.#dispatcher.release(run.id);
      },
      requeue: (run) => this.#dispatcher.readmit(run),
    });
  }

  /** Whether the deployed worker version has the task (every catalog task until the first deploy). */
  isDeployed(taskIdentifier: string): boolean {
    return this.#deployed === undefined || this.#deployed.has(taskIdentifier);
  }

  /**
   * A new worker version with exactly these tasks, as `trigger.dev deploy` creates: runs of
   * other tasks wait in PENDING_VERSION ("waiting for a version update because it cannot execute
   * without additional information (task, queue, etc.)", C:schemas/api.js RunStatus), parked
   * runs of these tasks start.
   */
  deploy(taskIdentifiers: Iterable<string>): void {
    this.#deployed = new Set(taskIdentifiers);
    this.#dispatcher.pump();
  }

  /**
   * The machines running the executing attempts die (test control). Nothing they report counts
   * any more; each run stays EXECUTING until the platform misses its heartbeats for
   * `heartbeatTimeoutMs` ("If we don't receive a heartbeat within 5 minutes, we mark the run as
   * stalled and stop it with a TASK_RUN_STALLED_EXECUTING error", DOC:runs/heartbeats.mdx). Then
   * the attempt fails with that error, which counts as an attempt:
   * - in a deployed environment (PRODUCTION, STAGING, PREVIEW) it is retried 250 ms later while
   *   attempts remain (W:internal-packages/run-engine/src/engine/retrying.ts:46-136
   *   retryOutcomeFromCompletion: `attemptNumber >= run.maxAttempts` fails), else the run FAILS
   *   (COMPLETED_WITH_ERRORS, W:internal-packages/run-engine/src/engine/errors.ts:28-35, which the
   *   API reports as FAILED, W:apps/webapp/app/presenters/v3/ApiRetrieveRunPresenter.server.ts:388-390);
   * - in DEVELOPMENT (`trigger dev`) it is not retried: `shouldRetry = environmentType !==
   *   "DEVELOPMENT"` ("Dev runs don't retry, because the vast majority of the time these snapshots
   *   stall because they have quit the CLI", W:internal-packages/run-engine/src/engine/index.ts:2719-2721),
   *   no retry settings are looked up for a stall (W:packages/core/src/v3/errors.ts:415-445), and the
   *   run ends CANCELED (errors.ts:28-35).
   * Its concurrency slots stay taken until then.
   */
  crashExecuting(): AttemptRecord[] {
    const crashed: AttemptRecord[] = [];
    for (const [runId, { execution, attempt }] of [...this.#executing]) {
      if (this.waits.isCheckpointed(runId)) continue; // not on any machine: restored later
      const run = this.#store.get(runId);
      this.#executing.delete(runId);
      clearTimeout(this.#maxDurationTimers.get(runId));
      this.#maxDurationTimers.delete(runId);
      attempt.outcome = "crashed";
      execution.abandon("the machine running this attempt died");
      crashed.push(attempt);
      if (!run) continue;
      this.#store.changed(run);
      const timer = setTimeout(() => {
        this.#stallTimers.delete(timer);
        this.#stalled(run, attempt);
      }, this.#options.heartbeatTimeoutMs);
      timer.unref();
      this.#stallTimers.add(timer);
    }
    return crashed;
  }

  get dispatcher(): RunDispatcher {
    return this.#dispatcher;
  }

  async trigger(input: CreateRunInput): Promise<CreateRunResult> {
    const result = await createRun(input, this.#store, this.#packets);
    if (!result.isCached) this.#dispatcher.admit(result.run);
    return result;
  }

  /**
   * `runs.cancel`: only runs that have not finished can be canceled; others are left as they are
   * (W:apps/webapp/app/v3/taskStatus.ts CANCELLABLE_RUN_STATUSES). An executing attempt gets its
   * abort signal fired and its `onCancel` hooks called; whatever it returns afterwards is ignored,
   * as the worker sends no completion for a canceled run (W:packages/cli-v3/src/entryPoints/dev-run-worker.ts).
   */
  cancel(run: RunRecord): void {
    if (!isCancellable(run.status)) return;
    this.#finishEarly(run, "CANCELED", "canceled", "run cancelled");
  }

  /**
   * `runs.replay`: a new run of the same task with the original payload, seed metadata, tags (as
   * the original carries them now), queue, concurrency key, machine and test flag, and no
   * idempotency key (W:apps/webapp/app/v3/services/replayTaskRun.server.ts:95-160). The service
   * takes overrides, but the API route passes none (see the route); `overrides` is for a caller
   * that stands for another entry point.
   */
  async replay(original: RunRecord, overrides: ReplayRunRequestBody = {}): Promise<RunRecord> {
    const payload =
      overrides.payload === undefined ? original.payloadPacket.data : encodeReplayPayload(overrides);
    const payloadType =
      overrides.payload === undefined
        ? original.payloadPacket.dataType
        : (overrides.payloadType ?? "application/json");
    const body: TriggerTaskRequestBody = {
      payload,
      options: {
        payloadType,
        queue: { name: overrides.queue ?? original.queue },
        test: original.isTest,
        tags: overrides.tags ?? [...original.tags],
        metadata: overrides.metadata ?? original.seedMetadata,
        delay: overrides.delay as string | Date | undefined,
        ttl: overrides.ttl,
        idempotencyKey: overrides.idempotencyKey,
        idempotencyKeyTTL: overrides.idempotencyKeyTTL,
        concurrencyKey:
          overrides.concurrencyKey === undefined ? original.concurrencyKey : String(overrides.concurrencyKey),
        maxAttempts: overrides.maxAttempts,
        maxDuration: overrides.maxDuration,
        machine: overrides.machine ?? original.machine,
        priority: overrides.priority,
        region: overrides.region,
      },
    };
    const { run } = await this.trigger({
      taskIdentifier: original.taskIdentifier,
      body,
      replayedFromRunId: original.id,
    });
    return run;
  }

  /** `runs.reschedule`: only a DELAYED run can be given a new delay (422 otherwise). */
  reschedule(run: RunRecord, delay: string | Date): void {
    if (run.status !== "DELAYED") throw new RunInputError(`Cannot reschedule a run that is not delayed`, 422);
    const delayUntil = resolveDelay(delay, Date.now());
    if (!delayUntil) throw new RunInputError(`Invalid delay: ${String(delay)}`);
    run.delayUntil = delayUntil;
    run.queuedAt = delayUntil;
    this.#store.changed(run);
    this.#dispatcher.reschedule(run);
  }

  /**
   * `PUT /api/v1/runs/{id}/metadata` (and the final flush an attempt returns): replace and/or
   * apply operations to the run, its parent and its root (C:schemas/common.js FlushedRunMetadata).
   */
  updateMetadata(run: RunRecord, flushed: FlushedRunMetadata): Record<string, unknown> {
    let metadata = run.metadata;
    if (flushed.metadata !== undefined) metadata = flushed.metadata as Record<string, unknown>;
    if (flushed.operations?.length) metadata = applyMetadataOperations(metadata, flushed.operations);
    // "Metadata exceeds maximum size of N bytes", a 413 that leaves the run's metadata as it was
    // (W:apps/webapp/app/utils/packets.ts handleMetadataPacket, called by
    // W:apps/webapp/app/services/metadata/updateMetadata.server.ts before it writes).
    const size = Buffer.byteLength(JSON.stringify(metadata ?? {}), "utf8");
    if (size > this.#options.metadataMaximumSize) {
      throw new RunInputError(
        `Metadata exceeds maximum size of ${this.#options.metadataMaximumSize} bytes`,
        413,
      );
    }
    run.metadata = metadata;
    this.#store.changed(run);
    const parent = run.parentRunId ? this.#store.get(run.parentRunId) : undefined;
    if (parent && flushed.parentOperations?.length) {
      parent.metadata = applyMetadataOperations(parent.metadata, flushed.parentOperations);
      this.#store.changed(parent);
    }
    const root = run.rootRunId ? this.#store.get(run.rootRunId) : run;
    if (root && flushed.rootOperations?.length) {
      root.metadata = applyMetadataOperations(root.metadata, flushed.rootOperations);
      this.#store.changed(root);
    }
    return run.metadata ?? {};
  }

  /** Picks up runs whose task was registered after they were triggered. */
  pump(): void {
    this.#dispatcher.pump();
  }

  /** Stops timers and aborts executing attempts; waits (bounded) for them to settle. */
  async close(): Promise<void> {
    this.#dispatcher.close();
    this.waits.close();
    for (const timer of this.#maxDurationTimers.values()) clearTimeout(timer);
    for (const timer of this.#stallTimers) clearTimeout(timer);
    const executing = [...this.#executing.values()];
    await Promise.all(executing.map(({ execution }) => execution.cancel("emulator closed").catch(() => {})));
    await Promise.race([
      Promise.allSettled(executing.map(({ execution }) => execution.done)),
      new Promise((resolve) => setTimeout(resolve, 2000).unref()),
    ]);
  }

  #startAttempt(run: RunRecord): void {
    const task = findTask(run.taskIdentifier);
    if (!task) return;
    const attempt: AttemptRecord = {
      runId: run.id,
      taskIdentifier: run.taskIdentifier,
      number: run.attempts.length + 1,
      startedAt: new Date(),
      outcome: "executing",
    };
    run.attempts.push(attempt);
    this.attempts.push(attempt);
    run.status = "EXECUTING";
    run.startedAt ??= attempt.startedAt;
    this.#store.changed(run);
    const execution = new AttemptExecution(
      task,
      buildExecution(run, attempt.number, this.#options.attemptContext.environment),
      this.#options.attemptContext,
      this.waits.handleFor(run),
    );
    this.#executing.set(run.id, { execution, attempt });
    this.#armMaxDuration(run);
    execution.done
      .then(
        (result) => this.#complete(run, attempt, result),
        (error: unknown) => this.#complete(run, attempt, { result: crashed(run.id, error) }),
      )
      .catch((error: unknown) => {
        // The emulator itself failed to record the outcome (e.g. an undecodable output).
        run.error = {
          type: "INTERNAL_ERROR",
          code: "TASK_EXECUTION_FAILED",
          message: error instanceof Error ? error.message : String(error),
        };
        this.#finish(run, "SYSTEM_FAILURE");
      });
  }

  /** A checkpointed run got a slot again: its attempt goes on where it waited. */
  #restore(run: RunRecord): void {
    this.waits.restore(run);
    this.#store.changed(run);
  }

  async #complete(run: RunRecord, attempt: AttemptRecord, { result, flushedMetadata }: AttemptResult) {
    if (attempt.outcome === "crashed") return; // a dead machine reports nothing; see crashExecuting
    this.#executing.delete(run.id);
    clearTimeout(this.#maxDurationTimers.get(run.id));
    this.#maxDurationTimers.delete(run.id);
    this.#dispatcher.release(run.id);
    if (attempt.outcome !== "executing") return; // canceled or timed out while running
    attempt.finishedAt = new Date();
    run.durationMs += attempt.finishedAt.getTime() - attempt.startedAt.getTime();
    await this.#applyFinalFlush(run, flushedMetadata);
    if (isFinalStatus(run.status)) return;
    if (result.ok) {
      run.outputPacket = { data: result.output, dataType: result.outputType };
      run.output = await this.#packets.decode(run.outputPacket);
      attempt.outcome = "succeeded";
      this.#finish(run, "COMPLETED");
      return;
    }
    attempt.outcome = "failed";
    attempt.error = result.error;
    attempt.skippedRetrying = result.skippedRetrying ?? false;
    // The executor decides: `retry` is set only when the policy (or catchError) asks for another
    // attempt (C:workers/taskExecutor.js #handleError); the platform then waits `retry.delay`.
    if (result.retry && !result.skippedRetrying) {
      const waitMs = Math.max(0, result.retry.delay) * this.#options.timeScale;
      attempt.retryDelayMs = result.retry.delay;
      attempt.scaledRetryDelayMs = waitMs;
      run.retryAt = new Date(Date.now() + waitMs);
      this.#store.changed(run);
      this.#dispatcher.requeueAfter(run, waitMs);
      return;
    }
    run.error = result.error;
    this.#finish(run, "FAILED");
  }

  /** The heartbeat check found a crashed attempt (see {@link crashExecuting}). */
  #stalled(run: RunRecord, attempt: AttemptRecord): void {
    if (run.status !== "EXECUTING" || run.attempts.at(-1) !== attempt) return; // canceled meanwhile
    this.#dispatcher.release(run.id);
    attempt.finishedAt = new Date();
    run.durationMs += attempt.finishedAt.getTime() - attempt.startedAt.getTime();
    const development = this.#options.attemptContext.environment.type === "DEVELOPMENT";
    attempt.error = {
      type: "INTERNAL_ERROR",
      code: "TASK_RUN_STALLED_EXECUTING",
      message: development
        ? "Run timed out due to missing heartbeats. Check if your `trigger.dev dev` CLI is still running."
        : "Run timed out due to missing heartbeats.",
    };
    const maxAttempts = this.#maxAttempts(run);
    if (!development && maxAttempts !== undefined && attempt.number < maxAttempts) {
      const waitMs = STALLED_RETRY_DELAY_MS * this.#options.timeScale;
      attempt.retryDelayMs = STALLED_RETRY_DELAY_MS;
      attempt.scaledRetryDelayMs = waitMs;
      run.retryAt = new Date(Date.now() + waitMs);
      this.#store.changed(run);
      this.#dispatcher.requeueAfter(run, waitMs);
      return;
    }
    run.error = attempt.error;
    this.#finish(run, development ? "CANCELED" : "FAILED");
  }

  /**
   * The run's attempt budget as the engine locks it: the `maxAttempts` trigger option, else the
   * task's retry policy, else the project's `retries.default`; none means no retry.
   */
  #maxAttempts(run: RunRecord): number | undefined {
    return (
      run.maxAttempts ??
      findTaskManifest(run.taskIdentifier)?.retry?.maxAttempts ??
      this.#options.attemptContext.retries?.default?.maxAttempts
    );
  }

  /** Metadata queued since the last periodic flush travels with the completion (dev-run-worker). */
  async #applyFinalFlush(run: RunRecord, packet: AttemptResult["flushedMetadata"]): Promise<void> {
    if (!packet?.data) return;
    const flushed = (await parsePacket(packet)) as FlushedRunMetadata | undefined;
    try {
      if (flushed) this.updateMetadata(run, flushed);
    } catch (error) {
      // Too large: the platform logs the failed update and completes the run regardless.
      if (!(error instanceof RunInputError)) throw error;
    }
  }

  /**
   * `maxDuration` (seconds): a run past it is stopped and marked TIMED_OUT ("Task has reached
   * it's maxDuration and has been stopped", C:schemas/api.js RunStatus). Measured per attempt in
   * wall-clock time here; the platform counts CPU time.
   */
  #armMaxDuration(run: RunRecord): void {
    if (!run.maxDurationSeconds) return;
    const timer = setTimeout(() => {
      run.error = {
        type: "INTERNAL_ERROR",
        code: "MAX_DURATION_EXCEEDED",
        message: `Run exceeded maxDuration of ${run.maxDurationSeconds} seconds`,
      };
      this.#finishEarly(run, "TIMED_OUT", "timed_out", "max duration exceeded");
    }, run.maxDurationSeconds * 1000);
    timer.unref();
    this.#maxDurationTimers.set(run.id, timer);
  }

  #finishEarly(
    run: RunRecord,
    status: "CANCELED" | "TIMED_OUT",
    outcome: "canceled" | "timed_out",
    reason: string,
  ): void {
    run.retryAt = undefined;
    this.#finish(run, status);
    this.#dispatcher.forget(run.id);
    this.waits.forget(run.id, reason);
    const executing = this.#executing.get(run.id);
    if (executing) {
      executing.attempt.outcome = outcome;
      executing.attempt.finishedAt = new Date();
      void executing.execution.cancel(reason).catch(() => {});
    }
  }

  #finish(run: RunRecord, status: RunRecord["status"]): void {
    run.status = status;
    run.finishedAt = new Date();
    this.#store.changed(run);
  }
}

function encodeReplayPayload(overrides: ReplayRunRequestBody): string {
  if (overrides.payloadType === "application/super+json") return overrides.payload as string;
  return JSON.stringify(overrides.payload);
}

function crashed(runId: string, error: unknown): TaskRunExecutionResult {
  return {
    ok: false,
    id: runId,
    error: {
      type: "INTERNAL_ERROR",
      code: "TASK_RUN_CRASHED",
      message: error instanceof Error ? error.message : String(error),
    },
  };
}
