import { ApiClient, type RunMetadataChangeOperation } from "@trigger.dev/core/v3";
import { StandardMetadataManager } from "@trigger.dev/core/v3/workers";

/**
 * Applies flushed `metadata.*` operations (set, delete, append, remove, increment, update;
 * C:schemas/common.js RunMetadataChangeOperation) to a run's metadata.
 *
 * The server applies them with the same function the SDK uses to keep its local copy
 * (C:runMetadata/operations.js). That function is not exported, so the emulator replays the
 * operations through a throwaway `StandardMetadataManager`, whose public setters apply them
 * with exactly those semantics (JSON paths like "$.a.b" included). Nothing is flushed.
 */
export function applyMetadataOperations(
  current: Record<string, unknown> | undefined,
  operations: readonly RunMetadataChangeOperation[],
): Record<string, unknown> {
  const manager = new StandardMetadataManager(new ApiClient("http://127.0.0.1:9", "unused"));
  manager.runId = "metadata-operations";
  manager.enterWithMetadata((current ?? {}) as never);
  for (const operation of operations) {
    switch (operation.type) {
      case "set":
        manager.set(operation.key, operation.value);
        break;
      case "delete":
        manager.del(operation.key);
        break;
      case "append":
        manager.append(operation.key, operation.value);
        break;
      case "remove":
        manager.remove(operation.key, operation.value);
        break;
      case "increment":
        manager.increment(operation.key, operation.value);
        break;
      case "update":
        manager.update(operation.value as never);
        break;
    }
  }
  manager.stopPeriodicFlush();
  return (manager.current() ?? {}) as Record<string, unknown>;
}
