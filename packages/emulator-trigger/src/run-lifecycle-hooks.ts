import { StandardLifecycleHooksManager } from "@trigger.dev/core/v3/workers";

/** The listener methods the executor registers per attempt; a worker resets them between runs. */
const PER_RUN_METHODS = new Set<PropertyKey>([
  "registerOnCancelHookListener",
  "callOnCancelHookListeners",
  "registerOnWaitHookListener",
  "callOnWaitHookListeners",
  "registerOnResumeHookListener",
  "callOnResumeHookListeners",
]);

/**
 * A run's view of the lifecycle-hooks manager: task hooks (init, catchError, onFailure, cleanup …)
 * come from the shared manager they were registered in at definition time, while the per-attempt
 * listeners the executor adds (cancel/wait/resume) live in a fresh manager, as they would in a
 * worker that calls `reset()` before each run (W:packages/cli-v3/src/entryPoints/dev-run-worker.ts).
 */
export function runLifecycleHooks(shared: StandardLifecycleHooksManager): {
  hooks: StandardLifecycleHooksManager;
  listeners: StandardLifecycleHooksManager;
} {
  const listeners = new StandardLifecycleHooksManager();
  const hooks = new Proxy(shared, {
    get(target, property) {
      const owner: object = PER_RUN_METHODS.has(property) ? listeners : target;
      const value: unknown = Reflect.get(owner, property);
      return typeof value === "function" ? value.bind(owner) : value;
    },
  });
  return { hooks, listeners };
}
