import { AsyncLocalStorage } from "node:async_hooks";

/**
 * Per-run values for the SDK's process-wide API slots.
 *
 * The SDK keeps its runtime (task context, run metadata manager, locals, lifecycle hooks,
 * API client config) in one object on `globalThis[Symbol.for("dev.trigger.ts.api")]`, one key
 * per API (C:utils/globals.js). A real worker runs one run per process and re-registers those
 * globals before each run (W:packages/cli-v3/src/entryPoints/dev-run-worker.ts, EXECUTE_TASK_RUN).
 * The emulator runs many attempts concurrently in one process, so it turns the slots below into
 * accessors that read the current run's value from an AsyncLocalStorage and fall back to the
 * process-wide value outside a run.
 */
export type ScopedSlot = "task-context" | "locals" | "lifecycle-hooks" | "api-client";

/**
 * A run's values for the scoped slots, plus its run-metadata manager, which is reached through
 * a process-wide router instead (see run-metadata-router.ts), and its waits, which the
 * process-wide runtime manager routes to (see emulated-runtime.ts).
 */
export type RunScope = Partial<Record<ScopedSlot | "run-metadata" | "run-waits", unknown>>;

const GLOBAL_API_KEY = Symbol.for("dev.trigger.ts.api");
const SCOPED_SLOTS: readonly ScopedSlot[] = ["task-context", "locals", "lifecycle-hooks", "api-client"];
const ROUTED = Symbol.for("switchyard.trigger-emulator.routed");
const STORAGE_KEY = Symbol.for("switchyard.trigger-emulator.run-scope");

// One storage per process, not per module instance: the SDK keeps references to what the first
// instance installed (e.g. `metadata.parent`), and test runners may evaluate this module again
// per test file while the SDK stays loaded.
const storage: AsyncLocalStorage<RunScope> = (() => {
  const holder = globalThis as unknown as Record<symbol, AsyncLocalStorage<RunScope> | undefined>;
  holder[STORAGE_KEY] ??= new AsyncLocalStorage<RunScope>();
  return holder[STORAGE_KEY];
})();

function sdkGlobals(): Record<string, unknown> {
  const holder = globalThis as unknown as Record<symbol, Record<string, unknown> | undefined>;
  let api = holder[GLOBAL_API_KEY];
  if (!api) {
    api = {};
    holder[GLOBAL_API_KEY] = api;
  }
  return api;
}

/** Makes each scoped slot an accessor; idempotent, and repairs a slot someone unregistered. */
export function routeSdkSlots(): void {
  const api = sdkGlobals();
  for (const slot of SCOPED_SLOTS) {
    const existing = Object.getOwnPropertyDescriptor(api, slot);
    if (existing?.get && (existing.get as { [ROUTED]?: true })[ROUTED]) continue;
    let fallback: unknown = existing && "value" in existing ? existing.value : existing?.get?.call(api);
    const get = Object.assign(
      () => {
        const scope = storage.getStore();
        return scope && slot in scope ? scope[slot] : fallback;
      },
      { [ROUTED]: true as const },
    );
    Object.defineProperty(api, slot, {
      configurable: true,
      enumerable: true,
      get,
      // registerGlobal()/configure() assign here: that sets the process-wide value.
      set(value: unknown) {
        fallback = value;
      },
    });
  }
}

/** The scope of the run executing in the current async context, if any. */
export function currentRunScope(): RunScope | undefined {
  return storage.getStore();
}

/** Sets an SDK API slot process-wide, replacing whatever was registered. */
export function setSdkGlobal(slot: string, value: unknown): void {
  sdkGlobals()[slot] = value;
}

/** The process-wide value of a slot, ignoring any run scope. */
export function processWideSlot(slot: ScopedSlot): unknown {
  routeSdkSlots();
  return storage.exit(() => sdkGlobals()[slot]);
}

/** Runs `fn` with the SDK's scoped slots answering from `scope`. */
export function runInSdkScope<T>(scope: RunScope, fn: () => Promise<T>): Promise<T> {
  routeSdkSlots();
  return storage.run(scope, fn);
}
