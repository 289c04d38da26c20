import { lifecycleHooks } from "@trigger.dev/core/v3";
import type { RunWaitHandle } from "./run-waits.js";
import { currentRunScope } from "./sdk-run-scope.js";

/** What the SDK throws for a second wait while one is pending (C:runtime/preventMultipleWaits.js). */
const CONCURRENT_WAIT_MESSAGE =
  "Parallel waits are not supported, e.g. using Promise.all() around our wait functions.";

/** Runs with a wait in flight: the SDK's runtime manager refuses a second one. */
const waitingRuns = new WeakSet<RunWaitHandle>();

/**
 * The runtime manager behind `wait.*`, `triggerAndWait` and `batchTriggerAndWait`, installed
 * process-wide. `waitForWaitpoint` (what `wait.for` / `wait.until` call once the waitpoint exists,
 * C:runtime/index.js `waitUntil`) blocks on the executing run's waits (RunWaits), calling the
 * task's `onWait` / `onResume` hooks around it and refusing parallel waits, as the worker's
 * SharedRuntimeManager does (C:runtime/sharedRuntimeManager.js waitForWaitpoint). Waiting on
 * child runs is not emulated: those throw instead of answering like the SDK's no-op runtime,
 * which reports a CONFIGURED_INCORRECTLY failure (C:runtime/noopRuntimeManager.js).
 */
export const emulatedRuntime = {
  disable(): void {},
  waitForTask(): Promise<never> {
    return Promise.reject(notEmulated("triggerAndWait()"));
  },
  waitForBatch(): Promise<never> {
    return Promise.reject(notEmulated("batchTriggerAndWait()"));
  },
  async waitForWaitpoint({
    waitpointFriendlyId,
    finishDate,
  }: {
    waitpointFriendlyId: string;
    finishDate?: Date;
  }): Promise<{ ok: true; output?: undefined; outputType?: undefined }> {
    const waits = currentRunScope()?.["run-waits"] as RunWaitHandle | undefined;
    if (!waits) throw notEmulated("wait.forToken() and waits outside a run");
    if (!finishDate) throw notEmulated("wait.forToken()");
    if (waitingRuns.has(waits)) throw new Error(CONCURRENT_WAIT_MESSAGE);
    waitingRuns.add(waits);
    try {
      await lifecycleHooks.callOnWaitHookListeners({ type: "duration", date: finishDate });
      await waits.waitForWaitpoint(waitpointFriendlyId);
      await lifecycleHooks.callOnResumeHookListeners({ type: "duration", date: finishDate });
      return { ok: true };
    } finally {
      waitingRuns.delete(waits);
    }
  },
};

function notEmulated(api: string): Error {
  return new Error(`Trigger emulator: ${api} is not emulated`);
}
