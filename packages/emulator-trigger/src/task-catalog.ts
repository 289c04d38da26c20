import {
  lifecycleHooks,
  type QueueManifest,
  resourceCatalog,
  runtime,
  type TaskManifest,
  type TaskMetadataWithFunctions,
} from "@trigger.dev/core/v3";
import { StandardLifecycleHooksManager, StandardResourceCatalog } from "@trigger.dev/core/v3/workers";
import { emulatedRuntime } from "./emulated-runtime.js";
import { runMetadataRouter } from "./run-metadata-router.js";
import { routeSdkSlots, setSdkGlobal } from "./sdk-run-scope.js";

/** The file path the emulator's catalog files every task under (tasks have no real file here). */
export const EMULATED_TASK_FILE = "switchyard-trigger-emulator.ts";

/**
 * Installs the SDK runtime pieces that `task()`, `schemaTask()` and `schedules.task()` register
 * into, so that tasks defined afterwards can be executed by the emulator.
 *
 * By default the SDK's resource catalog and lifecycle-hooks manager are no-ops, and
 * `StandardResourceCatalog.registerTaskMetadata` drops a task unless a file context is set
 * (C:resource-catalog/index.js; C:resource-catalog/standardResourceCatalog.js). The real worker
 * installs both and sets a file context before importing task files
 * (W:packages/cli-v3/src/entryPoints/dev-run-worker.ts); the SDK's own test harness sets a fixed
 * context and never clears it (S:test/setup-catalog.js). This does the same.
 *
 * It also installs the emulator's run-metadata router as the process-wide metadata manager. The
 * SDK captures `metadata.parent` / `metadata.root` from that manager when its metadata module
 * first loads (S:metadata.js), so those two only work if this ran before `@trigger.dev/sdk` was
 * first imported in the process.
 *
 * Call it before your task modules are evaluated, ideally before `@trigger.dev/sdk` loads
 * (importing `@switchyard/emulator-trigger` calls it). Idempotent; an already-installed
 * catalog or hooks manager is kept.
 */
export function installTaskCatalog(): void {
  resourceCatalog.setGlobalResourceCatalog(new StandardResourceCatalog());
  lifecycleHooks.setGlobalLifecycleHooksManager(new StandardLifecycleHooksManager());
  resourceCatalog.setCurrentFileContext(EMULATED_TASK_FILE, EMULATED_TASK_FILE);
  setSdkGlobal("run-metadata", runMetadataRouter);
  runtime.setGlobalRuntimeManager(
    emulatedRuntime as unknown as Parameters<typeof runtime.setGlobalRuntimeManager>[0],
  );
  routeSdkSlots();
}

/** A task's run function, hooks aside, as the worker looks it up (`resourceCatalog.getTask`). */
export function findTask(taskId: string): TaskMetadataWithFunctions | undefined {
  return resourceCatalog.getTask(taskId);
}

/** The manifest of a registered task (queue, retry, ttl, schedule, concurrency …). */
export function findTaskManifest(taskId: string): TaskManifest | undefined {
  return resourceCatalog.getTaskManifest(taskId);
}

export function listTaskManifests(): TaskManifest[] {
  return resourceCatalog.listTaskManifests();
}

export function findQueueManifest(name: string): QueueManifest | undefined {
  return resourceCatalog.listQueueManifests().find((queue) => queue.name === name);
}

export function findConcurrencyLimit(name: string): { total?: number; perKey?: number } | undefined {
  return resourceCatalog.listConcurrencyLimitManifests().find((limit) => limit.name === name);
}

/**
 * Throws unless every given task object is in the catalog, naming the usual cause: the task was
 * defined before `installTaskCatalog()` ran, so the SDK's no-op catalog dropped it.
 */
export function assertTasksRegistered(...tasks: ReadonlyArray<{ id: string }>): void {
  const missing = tasks.filter((task) => !findTask(task.id)).map((task) => task.id);
  if (missing.length > 0) {
    throw new Error(
      `Trigger emulator: task(s) ${missing.join(", ")} are not in the SDK resource catalog. ` +
        "Define tasks after installTaskCatalog() runs (import @switchyard/emulator-trigger " +
        "before the modules that call task()/schemaTask()/schedules.task()).",
    );
  }
}
