import type { StandardMetadataManager } from "@trigger.dev/core/v3/workers";
import { currentRunScope } from "./sdk-run-scope.js";

type Manager = StandardMetadataManager;
type Updater = Manager["parent"];

const UPDATER_METHODS = [
  "set",
  "del",
  "append",
  "remove",
  "increment",
  "decrement",
  "update",
  "stream",
] as const;

function currentManager(): Manager | undefined {
  return currentRunScope()?.["run-metadata"] as Manager | undefined;
}

/**
 * An updater for the parent or root run that looks up the executing run's manager on every call.
 * The SDK's `metadata.parent` / `metadata.root` are read once, when its metadata module loads
 * (S:metadata.js `const parentMetadataUpdater = runMetadata.parent`), so they must be lazy.
 */
function lazyUpdater(target: "parent" | "root"): Updater {
  const updater: Record<string, unknown> = {};
  for (const method of UPDATER_METHODS) {
    updater[method] = (...args: unknown[]) => {
      const manager = currentManager();
      if (!manager) return method === "stream" ? Promise.resolve(args[1]) : updater;
      const result = (manager[target][method] as (...a: unknown[]) => unknown)(...args);
      return method === "stream" ? result : updater;
    };
  }
  return updater as unknown as Updater;
}

const parent = lazyUpdater("parent");
const root = lazyUpdater("root");

/**
 * The process-wide run-metadata manager while the emulator is installed: every call goes to the
 * manager of the run executing in the current async context, and does nothing outside a run
 * (like the SDK's no-op manager). The real worker has one manager per process and resets it
 * between runs (W:packages/cli-v3/src/entryPoints/dev-run-worker.ts); the emulator runs many
 * attempts at once, so it keeps one per attempt and routes to it.
 */
export const runMetadataRouter: Manager = new Proxy({} as Manager, {
  get(_target, property) {
    if (property === "parent") return parent;
    if (property === "root") return root;
    const manager = currentManager();
    if (!manager) return outsideRun(property);
    const value: unknown = Reflect.get(manager, property);
    return typeof value === "function" ? value.bind(manager) : value;
  },
});

function outsideRun(property: PropertyKey): unknown {
  if (property === "current" || property === "getKey") return () => undefined;
  if (property === "flush" || property === "refresh") return async () => {};
  if (property === "stream") return async (_key: string, value: unknown) => value;
  if (property === "fetchStream") {
    return async () => {
      throw new Error("metadata.fetchStream() can only be used inside a task");
    };
  }
  return () => runMetadataRouter;
}
