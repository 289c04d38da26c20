import type { RunRecord } from "./run-record.js";
import { releasesIdempotencyKey } from "./run-status.js";
import type { RunStore } from "./run-store.js";

/**
 * The run a new trigger with this key must return instead of creating one, if any.
 *
 * Server rule (W:apps/webapp/app/runEngine/concerns/idempotencyKeys.server.ts handleTriggerRequest):
 * keys are looked up per (environment, task, hashed key); a key past `idempotencyKeyExpiresAt`
 * is cleared from its run and a new run is created; so is a key whose run ended failed-like
 * (FAILED, CRASHED, SYSTEM_FAILURE, TIMED_OUT, EXPIRED — DOC:idempotency.mdx "When a run with an
 * idempotency key fails, the key is automatically cleared"); otherwise the existing run is
 * returned with `isCached: true`. The clearing happens lazily, at this next trigger.
 */
export function findCachedRun(
  store: RunStore,
  taskIdentifier: string,
  key: string,
  now: number,
): RunRecord | undefined {
  const holder = store.findByIdempotencyKey(taskIdentifier, key);
  if (!holder) return undefined;
  const expired =
    holder.idempotencyKeyExpiresAt !== undefined && holder.idempotencyKeyExpiresAt.getTime() < now;
  if (expired || releasesIdempotencyKey(holder.status)) {
    clearKey(store, holder);
    return undefined;
  }
  return holder;
}

/**
 * `idempotencyKeys.reset`: clears the key from every run of the task that holds it and reports
 * how many it cleared (DOC:idempotency.mdx "Resetting idempotency keys").
 */
export function resetIdempotencyKey(store: RunStore, taskIdentifier: string, key: string): number {
  let cleared = 0;
  for (const run of store.all()) {
    if (run.taskIdentifier === taskIdentifier && run.idempotencyKey === key) {
      clearKey(store, run);
      cleared++;
    }
  }
  return cleared;
}

function clearKey(store: RunStore, run: RunRecord): void {
  run.idempotencyKey = undefined;
  run.idempotencyKeyExpiresAt = undefined;
  store.changed(run);
}
