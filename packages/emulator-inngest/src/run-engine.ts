import type { ActivityTracker } from "./activity-tracker.js";
import type { AppRegistry } from "./app-registry.js";
import type { ConcurrencyLimiter } from "./concurrency-limiter.js";
import { sleepDurationMs } from "./duration.js";
import { backoffDelayMs, retryAfterDelayMs } from "./retry-backoff.js";
import { isEnded, type RunState } from "./run-state.js";
import { callSdk, type SdkAnswer, type StepOp } from "./sdk-call.js";
import type { InvocationRecord, RunStatus } from "./types.js";
import { newUlid } from "./ulid.js";

/** What the engine needs from the executor. */
export interface RunEngineDeps {
  registry: AppRegistry;
  tracker: ActivityTracker;
  limiter: ConcurrencyLimiter;
  invocations: InvocationRecord[];
  signingKey: string;
  timeScale: number;
  retryJitter: boolean;
  requestTimeoutMs: number;
  /** Called once when a run reaches Completed, Failed or Cancelled. */
  onRunEnded: (run: RunState) => void;
}

/** One queue item: a call to the app for `stepId` ("step" = discovery). */
interface WorkItem {
  stepId: string;
  attempt: number;
  disableImmediate: boolean;
}

const DISCOVERY: WorkItem = { stepId: "step", attempt: 0, disableImmediate: false };

function notEmulated(op: StepOp): { name: string; message: string } {
  return {
    name: "NotEmulatedError",
    message: `Step op ${op.op} ("${op.displayName ?? op.name ?? op.id}") is not emulated by the local Inngest executor`,
  };
}

/** Replaces the `stepId` query parameter of a function's runtime URL (G:httpdriver.go:150-170). */
function urlForStep(runtimeUrl: string, stepId: string): string {
  const url = new URL(runtimeUrl);
  url.searchParams.set("stepId", stepId);
  return url.href;
}

/**
 * Drives runs the way the Inngest executor does: call the app, memoise step
 * results, re-call with the growing state, retry failed attempts with the
 * server's backoff, and finish the run.
 */
export class RunEngine {
  readonly #deps: RunEngineDeps;
  /** Calls parked per held app, in the order they were due. */
  readonly #held = new Map<string, { run: RunState; item: WorkItem }[]>();

  constructor(deps: RunEngineDeps) {
    this.#deps = deps;
  }

  /**
   * Test control (no platform counterpart): calls of `appId`'s runs that
   * fall due are parked instead of made, so the runs stay queued (status
   * `Scheduled`, v2 `QUEUED`) as if the app were not deployed yet, without
   * the failed calls and backoff a down app would cause. Calls already in
   * flight are not affected.
   */
  hold(appId: string): void {
    if (!this.#held.has(appId)) this.#held.set(appId, []);
  }

  /** Ends {@link hold}: parked calls are made now, oldest first. */
  release(appId: string): void {
    const parked = this.#held.get(appId);
    this.#held.delete(appId);
    for (const { run, item } of parked ?? []) this.#dispatch(run, item);
  }

  /**
   * Makes the run's first call after `delayMs` real milliseconds (already
   * scaled; a future event `ts` delays the run, G:executor.go:1503-1511).
   */
  start(run: RunState, delayMs: number): void {
    this.#enqueueItem(run, DISCOVERY.stepId, "start", delayMs, 0);
    this.#deps.tracker.after(
      delayMs,
      () => {
        const fn = this.#deps.registry.get(run.functionSlug);
        // timeouts.start cancels a run still waiting to start
        // (https://www.inngest.com/docs/features/inngest-functions/cancellation/cancel-on-timeouts).
        if (fn?.startTimeoutMs !== undefined) {
          this.#deps.tracker.after(
            this.#scaled(fn.startTimeoutMs),
            () => {
              if (run.status === "Scheduled") this.#finish(run, "Cancelled", { cancelReason: "timeout" });
            },
            run.id,
          );
        }
        this.#dispatch(run, DISCOVERY);
      },
      run.id,
    );
  }

  /** Cancels a run that has not ended; in-flight answers are then ignored. */
  cancel(run: RunState, reason: string): boolean {
    if (isEnded(run)) return false;
    this.#finish(run, "Cancelled", { cancelReason: reason });
    return true;
  }

  #scaled(ms: number): number {
    return Math.round(ms * this.#deps.timeScale);
  }

  #later(run: RunState, realMs: number, item: WorkItem): void {
    const kind = run.queue.get(item.stepId)?.kind ?? "edge";
    this.#enqueueItem(run, item.stepId, kind, this.#scaled(realMs), item.attempt);
    this.#deps.tracker.after(this.#scaled(realMs), () => this.#dispatch(run, item), run.id);
  }

  /** Puts (or requeues) the run's item for `stepId`, due in `delayMs` real milliseconds. */
  #enqueueItem(
    run: RunState,
    stepId: string,
    kind: "start" | "edge" | "sleep",
    delayMs: number,
    attempt: number,
  ) {
    const id = run.queue.get(stepId)?.id ?? newUlid();
    run.queue.set(stepId, { id, at: new Date(Date.now() + delayMs), kind, attempt });
  }

  #dispatch(run: RunState, item: WorkItem): void {
    if (!isEnded(run) && !run.queue.has(item.stepId))
      this.#enqueueItem(run, item.stepId, "edge", 0, item.attempt);
    const parked = this.#held.get(run.appId);
    if (parked) {
      if (!isEnded(run)) parked.push({ run, item });
      return;
    }
    void this.#deps.tracker.track(async () => {
      if (isEnded(run)) return;
      const release = await this.#deps.limiter.acquire(run.slots);
      let answer: SdkAnswer;
      try {
        if (isEnded(run)) return;
        const fn = this.#deps.registry.get(run.functionSlug);
        if (!fn) {
          this.#finish(run, "Failed", {
            error: { name: "Error", message: `Function ${run.functionSlug} is no longer synced` },
          });
          return;
        }
        if (run.status === "Scheduled") {
          run.status = "Running";
          run.startedAt = new Date();
          // timeouts.finish cancels a run still going this long after it started (same doc as above).
          if (fn.finishTimeoutMs !== undefined) {
            this.#deps.tracker.after(
              this.#scaled(fn.finishTimeoutMs),
              () => this.cancel(run, "timeout"),
              run.id,
            );
          }
        }
        run.calls++;
        const startedAt = new Date();
        answer = await callSdk({
          url: urlForStep(fn.info.url, item.stepId),
          runId: run.id,
          stepId: item.stepId,
          signingKey: this.#deps.signingKey,
          version: run.version,
          timeoutMs: this.#deps.requestTimeoutMs,
          // Request body: G:pkg/execution/driver/request.go:44-126, read by I:helpers/functions.js:38-80.
          // No ctx.fn_id / qi_id: that keeps the SDK out of checkpointing mode (I:InngestFunction.js:177-192).
          body: {
            event: run.event,
            events: [run.event],
            steps: run.steps,
            ctx: {
              run_id: run.id,
              attempt: item.attempt,
              max_attempts: run.maxAttempts,
              stack: { stack: run.stack, current: run.stack.length },
              disable_immediate_execution: item.disableImmediate,
              use_api: false,
            },
            version: run.version,
          },
        });
        this.#record(run, item, startedAt, answer);
      } finally {
        release();
      }
      const queued = run.queue.get(item.stepId);
      if (!isEnded(run)) this.#handle(run, item, answer);
      // Answered: the item leaves the queue, unless a retry put it back with a later time.
      if (run.queue.get(item.stepId) === queued) run.queue.delete(item.stepId);
    });
  }

  #record(run: RunState, item: WorkItem, startedAt: Date, answer: SdkAnswer): void {
    this.#deps.invocations.push({
      runId: run.id,
      functionSlug: run.functionSlug,
      stepId: item.stepId,
      attempt: item.attempt,
      startedAt,
      durationMs: Date.now() - startedAt.getTime(),
      httpStatus: answer.outcome === "unreachable" ? undefined : answer.httpStatus,
      outcome: answer.outcome,
      ops:
        answer.outcome === "steps"
          ? answer.ops.map((op) => ({ op: op.op, id: op.id, name: op.name }))
          : undefined,
      noRetry: answer.outcome === "steps" || answer.outcome === "error" ? answer.noRetry : undefined,
      retryAfter: answer.outcome === "steps" || answer.outcome === "error" ? answer.retryAfter : undefined,
      error: answer.outcome === "error" || answer.outcome === "unreachable" ? answer.error : undefined,
    });
  }

  #handle(run: RunState, item: WorkItem, answer: SdkAnswer): void {
    switch (answer.outcome) {
      case "completed":
        this.#finish(run, "Completed", { output: answer.data });
        return;
      case "steps":
        if (answer.version) run.version = answer.version;
        this.#handleOps(run, item, answer.ops, answer.noRetry, answer.retryAfter);
        return;
      case "error":
        this.#retryOrFail(run, item, answer.error, answer.noRetry, answer.retryAfter);
        return;
      case "unreachable":
        this.#retryOrFail(run, item, { name: "Error", message: answer.error }, false, undefined);
    }
  }

  /**
   * Retries the same item while `(attempt + 1) < max_attempts` and the app did
   * not say `X-Inngest-No-Retry: true` (G:pkg/execution/queue/queue.go:204-226,
   * G:httpdriver/util.go:45-88); the wait is `Retry-After` when given, else
   * the backoff table. Otherwise the run fails with the error as its output.
   */
  #retryOrFail(
    run: RunState,
    item: WorkItem,
    error: unknown,
    noRetry: boolean | undefined,
    retryAfter: string | undefined,
  ): void {
    if (this.#canRetry(run, item, noRetry)) {
      this.#later(run, this.#retryDelay(item, retryAfter), { ...item, attempt: item.attempt + 1 });
    } else {
      this.#finish(run, "Failed", { error, output: error });
    }
  }

  #canRetry(run: RunState, item: WorkItem, noRetry: boolean | undefined): boolean {
    return noRetry !== true && item.attempt + 1 < run.maxAttempts;
  }

  #retryDelay(item: WorkItem, retryAfter: string | undefined): number {
    return retryAfterDelayMs(retryAfter) ?? backoffDelayMs(item.attempt, this.#deps.retryJitter);
  }

  /** Applies a 206 answer (op semantics: G:pkg/execution/executor/executor.go:3884-3950). */
  #handleOps(
    run: RunState,
    item: WorkItem,
    ops: StepOp[],
    noRetry: boolean | undefined,
    retryAfter: string | undefined,
  ): void {
    const planned: StepOp[] = [];
    let retrying = false;
    for (const op of ops) {
      switch (op.op) {
        case "StepRun":
        case "Step":
          this.#memoise(run, op.id, { data: op.data ?? null });
          break;
        case "StepError":
          // A retriable step failure: run the same item again, attempt + 1;
          // past the last attempt it is stored like StepFailed.
          if (this.#canRetry(run, item, noRetry)) {
            retrying = true;
            this.#later(run, this.#retryDelay(item, retryAfter), { ...item, attempt: item.attempt + 1 });
          } else {
            this.#memoise(run, op.id, { error: op.error });
          }
          break;
        case "StepFailed":
          this.#memoise(run, op.id, { error: op.error });
          break;
        case "StepPlanned":
          run.pending.add(op.id);
          planned.push(op);
          break;
        case "Sleep": {
          const ms = sleepDurationMs(op.name ?? "");
          if (ms === undefined) {
            this.#finish(run, "Failed", { error: { name: "Error", message: `Invalid sleep "${op.name}"` } });
            return;
          }
          run.pending.add(op.id);
          this.#enqueueItem(run, op.id, "sleep", this.#scaled(ms), 0);
          // A finished sleep is memoised as null (G:executor.go:1937-1976).
          this.#deps.tracker.after(this.#scaled(ms), () => this.#resume(run, op.id, null), run.id);
          break;
        }
        case "RunComplete":
          this.#finish(run, "Completed", { output: op.data ?? null });
          return;
        default: {
          const error = notEmulated(op);
          this.#finish(run, "Failed", { error, output: error });
          return;
        }
      }
    }
    if (retrying) return;
    // Several planned steps are a parallel fan-out: each is called on its own
    // with immediate execution disabled, as the server does.
    for (const op of planned) this.#dispatch(run, { stepId: op.id, attempt: 0, disableImmediate: true });
    if (run.pending.size === 0) {
      if (ops.length === 0) {
        const error = { name: "Error", message: "The SDK answered 206 with no ops and nothing is pending" };
        this.#finish(run, "Failed", { error, output: error });
        return;
      }
      this.#dispatch(run, DISCOVERY);
    }
  }

  #memoise(run: RunState, stepId: string, value: unknown): void {
    run.steps[stepId] = value;
    run.stack.push(stepId);
    run.pending.delete(stepId);
  }

  #resume(run: RunState, stepId: string, value: unknown): void {
    run.queue.delete(stepId);
    if (isEnded(run)) return;
    this.#memoise(run, stepId, value);
    if (run.pending.size === 0) this.#dispatch(run, DISCOVERY);
  }

  #finish(
    run: RunState,
    status: RunStatus,
    fields: { output?: unknown; error?: unknown; cancelReason?: string },
  ): void {
    if (isEnded(run)) return;
    run.status = status;
    run.endedAt = new Date();
    if ("output" in fields) run.output = fields.output;
    if ("error" in fields) run.error = fields.error;
    if (fields.cancelReason) run.cancelReason = fields.cancelReason;
    run.pending.clear();
    run.queue.clear();
    this.#deps.tracker.cancelOwner(run.id);
    this.#deps.onRunEnded(run);
  }
}
