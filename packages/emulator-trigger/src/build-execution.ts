import type { TaskRunExecution } from "@trigger.dev/core/v3";
import type { EmulatedEnvironment } from "./emulated-environment.js";
import type { RunRecord } from "./run-record.js";
import { EMULATED_TASK_FILE } from "./task-catalog.js";

/** Every run executes on this machine preset (small-1x is the platform default: 0.5 vCPU, 0.5 GB). */
const MACHINE = { name: "small-1x", cpu: 0.5, memory: 0.5, centsPerMs: 0 } as const;

/**
 * The `TaskRunExecution` the platform hands a worker for one attempt (C:schemas/common.js
 * TaskRunExecution); the run's `ctx` is parsed from it (`TaskRunContext.parse`, as
 * W:packages/cli-v3/src/entryPoints/dev-run-worker.ts does).
 */
export function buildExecution(
  run: RunRecord,
  attemptNumber: number,
  environment: EmulatedEnvironment,
): TaskRunExecution {
  const now = new Date();
  return {
    attempt: { number: attemptNumber, startedAt: now },
    run: {
      id: run.id,
      payload: run.payloadPacket.data ?? "",
      payloadType: run.payloadPacket.dataType,
      tags: [...run.tags],
      isTest: run.isTest,
      isReplay: run.replayedFromRunId !== undefined,
      createdAt: run.createdAt,
      startedAt: run.startedAt ?? now,
      idempotencyKey: run.idempotencyKeyOptions?.key ?? run.idempotencyKey,
      idempotencyKeyScope: run.idempotencyKeyOptions?.scope,
      maxAttempts: run.maxAttempts,
      version: environment.worker.version,
      metadata: run.metadata as TaskRunExecution["run"]["metadata"],
      maxDuration: run.maxDurationSeconds,
      priority: run.priority,
      baseCostInCents: 0,
      parentTaskRunId: run.parentRunId,
      rootTaskRunId: run.rootRunId,
      durationMs: run.durationMs,
      costInCents: 0,
      region: run.region,
    },
    task: { id: run.taskIdentifier, filePath: EMULATED_TASK_FILE },
    queue: { id: `queue_${run.queue}`, name: run.queue },
    environment: { id: environment.id, slug: environment.slug, type: environment.type },
    organization: environment.organization,
    project: environment.project,
    machine: { ...MACHINE },
    batch: run.batchId ? { id: run.batchId } : undefined,
  };
}
