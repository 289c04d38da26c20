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
  /** Steps one run may take (see InngestExecutorOptions.stepLimit). */
  stepLimit: number;
  /** Called once when a run reaches Completed, Failed or Cancelled. */
  onRunEnded: (run: RunState) => void;
  /**
   * Starts the child run of an `InvokeFunction` op (event `inngest/function.invoked` sent to the
   * target function alone); undefined when no synced function has that slug.
   */
  invoke: (parent: RunState, op: StepOp, expiresAt: Date) => RunState | undefined;
}

/** One queue item: a call to the app for `stepId` ("step" = discovery). */
interface WorkItem {
  stepId: string;
  attempt: number;
  disableImmediate: boolean;
}

const DISCOVERY: Readonly<WorkItem> = { stepId: "step", attempt: 0, disableImmediate: false };

/**
 * Step limits of one run (G:pkg/consts/consts.go:22-23, 33-34, 47-48): at most 1,000 steps (the
 * run fails before its next call, G:pkg/execution/executor/validate.go:64-95, and a 206 answer
 * with more ops fails it, G:executor.go:3758-3767), a step output of at most 4 MiB and a state (the
 * step outputs together) of at most 32 MiB (a checkpoint past either is refused with 413,
 * G:pkg/api/apiv1/checkpoint.go:396-410; the server stores a 206 answer's outputs the same way, so
 * the run fails there, inferred from G:executor.go:3838-3845).
 */
export const STEP_LIMIT = 1_000;
export const STEP_OUTPUT_LIMIT_BYTES = 4 * 1024 * 1024;
export const STATE_LIMIT_BYTES = 32 * 1024 * 1024;
/** An invoke without `timeout` waits a year (G:pkg/execution/state/opcode.go:411-417). */
const INVOKE_DEFAULT_TIMEOUT_MS = 366 * 86_400_000;
/** Longer timers are not set (Node's setTimeout caps at 2^31-1 ms): they would never fire in a test anyway. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The standard error a run fails with when it overflows a limit (G:pkg/execution/state/state.go:45-85). */
function overflowError(name: string, message: string): { name: string; message: string } {
  return { name, message };
}

/** What a checkpoint call gets back (G:pkg/api/apiv1/checkpoint.go:364-420). */
export type CheckpointAnswer = { status: 200 } | { status: 400 | 404 | 413; message: string };

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
    kind: "start" | "edge" | "sleep" | "pause",
    delayMs: number,
    attempt: number,
  ) {
    const id = run.queue.get(stepId)?.id ?? newUlid();
    run.queue.set(stepId, { id, at: new Date(Date.now() + delayMs), kind, attempt });
  }

  #dispatch(run: RunState, shared: Readonly<WorkItem>): void {
    // Each call gets its own item: a checkpoint resets the attempt of the item in flight.
    const item: WorkItem = { ...shared };
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
        if (Object.keys(run.steps).length >= this.#deps.stepLimit) {
          const message = `The function run exceeded the step limit of ${this.#deps.stepLimit} steps.`;
          const error = overflowError("InngestErrFunctionOverflowed", message);
          this.#finish(run, "Failed", { error, output: error });
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
        const queueItemId = run.queue.get(item.stepId)?.id ?? newUlid();
        run.inFlight.set(queueItemId, item);
        answer = await callSdk({
          url: urlForStep(fn.info.url, item.stepId),
          runId: run.id,
          stepId: item.stepId,
          signingKey: this.#deps.signingKey,
          version: run.version,
          timeoutMs: this.#deps.requestTimeoutMs,
          // Request body: G:pkg/execution/driver/request.go:44-126, read by I:helpers/functions.js:38-80.
          // ctx.fn_id and ctx.qi_id let an SDK with checkpointing on (v4's default) run new steps
          // inline and report them to POST /v1/checkpoint/{run}/async (I:InngestFunction.js
          // shouldAsyncCheckpoint; I:api/api.js checkpointStepsAsync), handled by checkpoint().
          body: {
            event: run.event,
            events: [run.event],
            steps: run.steps,
            ctx: {
              run_id: run.id,
              fn_id: run.functionUuid,
              qi_id: queueItemId,
              attempt: item.attempt,
              max_attempts: run.maxAttempts,
              stack: { stack: run.stack, current: run.stack.length },
              disable_immediate_execution: item.disableImmediate,
              use_api: false,
            },
            version: run.version,
          },
        });
        run.inFlight.delete(queueItemId);
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
    if (ops.length > this.#deps.stepLimit) {
      const message = `The function run exceeded the step limit of ${this.#deps.stepLimit} steps.`;
      const error = overflowError("InngestErrFunctionOverflowed", message);
      this.#finish(run, "Failed", { error, output: error });
      return;
    }
    const overflow = this.#stateOverflow(run, ops);
    if (overflow) {
      const error = overflowError("InngestErrStateOverflowed", overflow);
      this.#finish(run, "Failed", { error, output: error });
      return;
    }
    for (const op of ops) {
      switch (op.op) {
        case "StepRun":
        case "Step":
          this.#memoise(run, op.id, { data: op.data ?? null });
          break;
        case "InvokeFunction":
          this.#invoke(run, op);
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

  /**
   * `POST /v1/checkpoint/{runId}/async` (G:pkg/execution/checkpoint/checkpoint.go:487-672): the SDK,
   * running new steps inline, reports them while its request goes on. Only sync ops are accepted
   * (`StepRun`/`Step` are stored, `StepPlanned` only traced; an async op is a 400); a step output
   * over 4 MiB or a state over 32 MiB is a 413 and nothing is stored; a run that has ended or is
   * unknown is a 404 (its metadata is gone, G:checkpoint.go:503-507). Once stored, the attempts of
   * the queue item in flight (`qi_id`) are reset to 0 (G:checkpoint.go:658-671): a failure after a
   * checkpointed step starts the item's retries over. The request's answer is what resumes the run.
   */
  checkpoint(run: RunState | undefined, queueItemId: string, ops: StepOp[]): CheckpointAnswer {
    if (!run || isEnded(run)) return { status: 404, message: "run not found" };
    const unknown = ops.find((op) => !["StepRun", "Step", "StepPlanned"].includes(op.op));
    if (unknown) return { status: 400, message: `cannot checkpoint opcode: ${unknown.op}` };
    const overflow = this.#stateOverflow(run, ops);
    if (overflow) return { status: 413, message: overflow };
    for (const op of ops) {
      if (op.op === "StepPlanned" || op.id in run.steps) continue; // a duplicate is ignored
      this.#memoise(run, op.id, { data: op.data ?? null });
    }
    const item = run.inFlight.get(queueItemId);
    if (item) item.attempt = 0;
    return { status: 200 };
  }

  /**
   * Resumes a parent waiting in `step.invoke` once its child ended: `{data: result}` or
   * `{error}` (G:pkg/execution/state/pause.go:349-374, the child's `inngest/function.finished`
   * event, G:executor/finalize.go:560-650). A cancelled child: the finished event has no result,
   * so the parent gets an error (inferred).
   */
  resumeInvoke(parent: RunState, opId: string, child: RunState): void {
    if (!parent.pending.has(opId)) return;
    let value: unknown;
    if (child.status === "Completed") value = { data: child.output ?? null };
    else if (child.status === "Failed") value = { error: child.error };
    else value = { error: { name: "Error", message: `The invoked function run ${child.id} was cancelled` } };
    this.#resume(parent, opId, value);
  }

  /**
   * An `InvokeFunction` op (G:executor.go:5167-5330): an `inngest/function.invoked` event carrying
   * the payload and `_inngest.correlation_id` = `<run id>.<op id>` starts the target function; the
   * parent waits (a `pause` queue item due at the timeout, a year by default) until the child
   * ends. A timeout resumes it with an error (inferred from the SDK's invoke timeout).
   */
  #invoke(run: RunState, op: StepOp): void {
    const timeout = typeof op.opts?.timeout === "string" ? op.opts.timeout : undefined;
    const timeoutMs =
      (timeout === undefined ? undefined : sleepDurationMs(timeout)) ?? INVOKE_DEFAULT_TIMEOUT_MS;
    const expiresAt = new Date(Date.now() + timeoutMs);
    run.pending.add(op.id);
    this.#enqueueItem(run, op.id, "pause", this.#scaled(timeoutMs), 0);
    this.#deps.invoke(run, op, expiresAt);
    const wait = this.#scaled(timeoutMs);
    if (wait <= MAX_TIMER_MS) {
      this.#deps.tracker.after(
        wait,
        () => {
          if (!run.pending.has(op.id)) return;
          const error = {
            name: "InngestInvokeTimeoutError",
            message: "Timed out waiting for invoked function to complete",
          };
          this.#resume(run, op.id, { error });
        },
        run.id,
      );
    }
  }

  /** Why storing these ops' outputs would break a limit, or undefined. */
  #stateOverflow(run: RunState, ops: StepOp[]): string | undefined {
    let state = 0;
    for (const value of Object.values(run.steps)) state += Buffer.byteLength(JSON.stringify(value ?? null));
    for (const op of ops) {
      if (op.op !== "StepRun" && op.op !== "Step") continue;
      const bytes = Buffer.byteLength(JSON.stringify(op.data ?? null));
      if (bytes > STEP_OUTPUT_LIMIT_BYTES)
        return `step ${op.id} output too large: step output size is greater than the limit`;
      state += bytes;
    }
    return state > STATE_LIMIT_BYTES ? "run state size limit exceeded: state is too large" : undefined;
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
