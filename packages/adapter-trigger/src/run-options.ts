import type { EnqueueRequest, TraceContext } from "@switchyard/core/adapter";
import { idempotencyKeys } from "@trigger.dev/sdk";
import { traceMetadata } from "./trace-metadata.js";
import { triggerPriority } from "./trigger-priority.js";

/** The trigger options of one run, as `tasks.trigger` and each `batchTrigger` item take them. */
export interface RunOptions {
  priority: number;
  delay?: Date;
  concurrencyKey?: string;
  idempotencyKey?: string;
  idempotencyKeyTTL?: string;
  /** Only the trace context (trace-metadata.ts); progress and retry times are written by the run. */
  metadata?: Record<string, TraceContext>;
}

/**
 * Trigger options for an enqueue: `delay` (a Date), `priority` (see trigger-priority.ts),
 * `concurrencyKey`, and the idempotency key made with `idempotencyKeys.create(key, { scope:
 * "global" })`. A raw string key would be run-scoped when the enqueue happens inside another
 * task's run (DOC idempotency: raw strings default to the run scope), so that the same key from
 * two runs would not match. Trigger.dev keys are per task already, so per job.
 * `idempotencyKeyTTL` must match `^\d+[smhd]$`: the ttl in whole seconds, at least 1.
 */
export async function runOptions(request: EnqueueRequest): Promise<RunOptions> {
  const options: RunOptions = { priority: triggerPriority(request.priority) };
  if (request.runAt) options.delay = request.runAt;
  if (request.concurrencyKey !== undefined) options.concurrencyKey = request.concurrencyKey;
  if (request.traceContext) options.metadata = traceMetadata(request.traceContext);
  if (request.idempotencyKey !== undefined) {
    options.idempotencyKey = await idempotencyKeys.create(request.idempotencyKey, { scope: "global" });
    if (request.idempotencyTtlMs !== undefined) {
      options.idempotencyKeyTTL = `${Math.max(1, Math.ceil(request.idempotencyTtlMs / 1000))}s`;
    }
  }
  return options;
}
