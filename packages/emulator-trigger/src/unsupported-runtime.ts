/**
 * The runtime manager behind `triggerAndWait`, `batchTriggerAndWait` and `wait.*`: the
 * emulator does not checkpoint and resume runs, so these throw instead of answering like the
 * SDK's no-op runtime, which reports a CONFIGURED_INCORRECTLY failure for every wait
 * (C:runtime/noopRuntimeManager.js). `wait.for`/`wait.until` already fail earlier, at the
 * unemulated waitpoint endpoint.
 */
export const unsupportedRuntime = {
  disable(): void {},
  waitForTask(): Promise<never> {
    return Promise.reject(notEmulated("triggerAndWait()"));
  },
  waitForBatch(): Promise<never> {
    return Promise.reject(notEmulated("batchTriggerAndWait()"));
  },
  waitForWaitpoint(): Promise<never> {
    return Promise.reject(notEmulated("wait.*"));
  },
};

function notEmulated(api: string): Error {
  return new Error(`Trigger emulator: ${api} is not emulated (runs are not checkpointed and resumed)`);
}
