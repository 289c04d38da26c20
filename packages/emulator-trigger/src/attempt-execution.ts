import {
  ApiClient,
  type RetryOptions,
  type TaskMetadataWithFunctions,
  TaskRunContext,
  type TaskRunExecution,
  type TaskRunExecutionResult,
} from "@trigger.dev/core/v3";
import { TriggerTracer } from "@trigger.dev/core/v3/tracer";
import {
  ConsoleInterceptor,
  type StandardLifecycleHooksManager,
  StandardLocalsManager,
  StandardMetadataManager,
  TaskExecutor,
  type TracingSDK,
} from "@trigger.dev/core/v3/workers";
import type { EmulatedEnvironment } from "./emulated-environment.js";
import type { Packet } from "./packet-store.js";
import { runLifecycleHooks } from "./run-lifecycle-hooks.js";
import type { RunWaitHandle } from "./run-waits.js";
import { processWideSlot, runInSdkScope } from "./sdk-run-scope.js";

/** What a run's attempts need from the emulator. */
export interface AttemptContext {
  environment: EmulatedEnvironment;
  /** SDK calls made inside the run (metadata flushes, `tasks.trigger`) go here, like a worker's env. */
  apiClientConfig: { baseURL: string; secretKey: string };
  retries?: { default?: RetryOptions; enabledInDev?: boolean };
  metadataFlushIntervalMs: number;
}

export interface AttemptResult {
  result: TaskRunExecutionResult;
  /** Metadata operations queued since the last flush (`stopAndReturnLastFlush`), as a packet. */
  flushedMetadata?: Packet;
}

const tracer = new TriggerTracer({ name: "switchyard-trigger-emulator", version: "1" });
// Console output from tasks goes straight to stdio: with interception disabled the interceptor
// never touches its OpenTelemetry logger (C:consoleInterceptor.js intercept).
const consoleInterceptor = new ConsoleInterceptor(
  undefined as unknown as ConstructorParameters<typeof ConsoleInterceptor>[0],
  true,
  true,
);

/**
 * One attempt of a run, executed by the SDK's own `TaskExecutor` the way the dev worker does it
 * (W:packages/cli-v3/src/entryPoints/dev-run-worker.ts EXECUTE_TASK_RUN): parse `ctx` from the
 * execution, install the run's task context, metadata manager (periodic flush), locals and hook
 * listeners, execute with an abort signal, then collect the last metadata flush. The executor
 * runs init/onStart/middleware/run/catchError/onFailure/onSuccess/onComplete/cleanup and computes
 * the retry decision (C:workers/taskExecutor.js).
 */
export class AttemptExecution {
  readonly done: Promise<AttemptResult>;
  readonly #abort = new AbortController();
  readonly #listeners;

  /** `waits`: how the run's `wait.for` / `wait.until` block (see RunWaits). */
  constructor(
    task: TaskMetadataWithFunctions,
    execution: TaskRunExecution,
    context: AttemptContext,
    waits?: RunWaitHandle,
  ) {
    const shared = processWideSlot("lifecycle-hooks") as StandardLifecycleHooksManager;
    const { hooks, listeners } = runLifecycleHooks(shared);
    this.#listeners = listeners;
    this.done = this.#execute(task, execution, context, hooks, waits);
  }

  /**
   * Aborts the attempt's signal and calls its `onCancel` listeners, as the worker's CANCEL
   * handler does (W:packages/cli-v3/src/entryPoints/dev-run-worker.ts).
   */
  async cancel(reason: string): Promise<void> {
    this.#abort.abort(reason);
    await this.#listeners.callOnCancelHookListeners();
  }

  /**
   * The machine running the attempt died. A real worker process would simply stop; in one
   * process the emulator can only abort the attempt's signal (no `onCancel` hooks: nothing was
   * cancelled) and ignore whatever it reports afterwards.
   */
  abandon(reason: string): void {
    this.#abort.abort(reason);
  }

  async #execute(
    task: TaskMetadataWithFunctions,
    execution: TaskRunExecution,
    context: AttemptContext,
    hooks: StandardLifecycleHooksManager,
    waits: RunWaitHandle | undefined,
  ): Promise<AttemptResult> {
    const ctx = TaskRunContext.parse(execution);
    const { baseURL, secretKey } = context.apiClientConfig;
    const metadata = new StandardMetadataManager(new ApiClient(baseURL, secretKey));
    metadata.runId = execution.run.id;
    metadata.runIdIsRoot = execution.run.rootTaskRunId === undefined;
    const scope = {
      "task-context": { ctx, worker: context.environment.worker, isWarmStart: false },
      "run-metadata": metadata,
      locals: new StandardLocalsManager(),
      "lifecycle-hooks": hooks,
      "api-client": { baseURL, secretKey },
      "run-waits": waits,
    };
    return runInSdkScope(scope, async () => {
      metadata.startPeriodicFlush(context.metadataFlushIntervalMs);
      try {
        const executor = new TaskExecutor(isolateRetryPolicy(task), {
          tracer,
          consoleInterceptor,
          // The executor only keeps a reference to it (C:workers/taskExecutor.js); no telemetry here.
          tracingSDK: undefined as unknown as TracingSDK,
          retries: context.retries && {
            ...context.retries,
            default: context.retries.default && { ...context.retries.default },
          },
          isWarmStart: false,
        });
        const { result } = await executor.execute(execution, ctx, this.#abort.signal);
        return { result, flushedMetadata: await metadata.stopAndReturnLastFlush() };
      } catch (error) {
        metadata.stopPeriodicFlush();
        return { result: configuredIncorrectly(execution.run.id, error) };
      }
    });
  }
}

/**
 * The executor writes the run's `maxAttempts` into the task's retry object
 * (C:workers/taskExecutor.js #handleError); give it a copy so one run's option can't leak into
 * the next run of the same task.
 */
function isolateRetryPolicy(task: TaskMetadataWithFunctions): TaskMetadataWithFunctions {
  return { ...task, retry: task.retry && { ...task.retry } };
}

function configuredIncorrectly(runId: string, error: unknown): TaskRunExecutionResult {
  return {
    ok: false,
    id: runId,
    error: {
      type: "INTERNAL_ERROR",
      code: "CONFIGURED_INCORRECTLY",
      message: error instanceof Error ? error.message : String(error),
      stackTrace: error instanceof Error ? error.stack : undefined,
    },
  };
}
