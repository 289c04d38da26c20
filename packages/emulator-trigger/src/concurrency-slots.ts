import type { RunRecord } from "./run-record.js";
import { findConcurrencyLimit, findQueueManifest, findTaskManifest } from "./task-catalog.js";

/** One concurrency pool a run occupies while it executes. */
export interface ConcurrencySlot {
  key: string;
  limit: number;
}

/**
 * The queue a run goes to: the trigger's `queue` option, else the task's queue, else the task's
 * own queue, which the API names `task/<taskId>` (C:apiClient/index.js queueNameFromQueueTypeName).
 */
export function resolveQueueName(taskIdentifier: string, requested: string | undefined): string {
  if (requested) return requested;
  return findTaskManifest(taskIdentifier)?.queue?.name ?? `task/${taskIdentifier}`;
}

/**
 * Every pool a run must find room in before it starts; it holds a slot in each while executing
 * ("A run only starts when every limit it holds has room, and takes a slot in each while it
 * runs" — trigger.dev/changelog/multiple-concurrency-limits; DOC:concurrency.mdx). Only
 * executing runs count; delayed, queued and retry-waiting runs hold nothing (DOC:queue-concurrency.mdx).
 *
 * - the environment limit;
 * - the queue's `concurrencyLimit`; with a `concurrencyKey`, each key gets its own copy of the
 *   queue with the same limit (DOC:queue-concurrency.mdx "Concurrency keys and per-tenant queuing");
 * - the task's inline `concurrency: { total, perKey }`;
 * - named limits (`concurrencyLimit({ name, total, perKey })`) the task or the trigger names.
 */
export function concurrencySlots(run: RunRecord, environmentLimit: number): ConcurrencySlot[] {
  const slots: ConcurrencySlot[] = [{ key: "env", limit: environmentLimit }];
  const keyPart = run.concurrencyKey ?? "";
  const queueLimit = queueConcurrencyLimit(run);
  if (queueLimit !== undefined) {
    const key =
      run.concurrencyKey === undefined ? `queue:${run.queue}` : `queue:${run.queue}\u0000${keyPart}`;
    slots.push({ key, limit: queueLimit });
  }
  const inline = findTaskManifest(run.taskIdentifier)?.concurrency?.inline;
  if (inline?.total !== undefined) slots.push({ key: `task:${run.taskIdentifier}`, limit: inline.total });
  if (inline?.perKey !== undefined) {
    slots.push({ key: `task-key:${run.taskIdentifier}\u0000${keyPart}`, limit: inline.perKey });
  }
  for (const name of run.concurrencyLimits) {
    const limit = findConcurrencyLimit(name);
    if (limit?.total !== undefined) slots.push({ key: `limit:${name}`, limit: limit.total });
    if (limit?.perKey !== undefined)
      slots.push({ key: `limit-key:${name}\u0000${keyPart}`, limit: limit.perKey });
  }
  return slots;
}

function queueConcurrencyLimit(run: RunRecord): number | undefined {
  const shared = findQueueManifest(run.queue)?.concurrencyLimit;
  if (typeof shared === "number") return shared;
  const taskQueue = findTaskManifest(run.taskIdentifier)?.queue;
  const ownQueueName = taskQueue?.name ?? `task/${run.taskIdentifier}`;
  if (ownQueueName === run.queue && typeof taskQueue?.concurrencyLimit === "number") {
    return taskQueue.concurrencyLimit;
  }
  return undefined;
}

/** The names of the named limits a run holds: the task's own plus the trigger's `concurrency`. */
export function namedLimitsFor(taskIdentifier: string, requested: readonly string[] | undefined): string[] {
  const fromTask = findTaskManifest(taskIdentifier)?.concurrency?.limits ?? [];
  return [...new Set([...fromTask, ...(requested ?? [])])];
}
