import { createJsonErrorObject } from "@trigger.dev/core/v3";
import type { EmulatedEnvironment } from "./emulated-environment.js";
import type { RunRecord } from "./run-record.js";
import { statusFlags } from "./run-status.js";
import type { ScheduleRecord } from "./schedule-record.js";

/**
 * Run fields common to retrieve and list (C:schemas/api.js CommonRunFields), built like the
 * server's presenter (W:apps/webapp/app/presenters/v3/ApiRetrieveRunPresenter.server.ts
 * createCommonRunStructure): tags sorted, no costs (0), booleans derived from the status.
 */
function commonRunFields(run: RunRecord) {
  return {
    id: run.id,
    status: run.status,
    taskIdentifier: run.taskIdentifier,
    idempotencyKey: run.idempotencyKey,
    version: run.lockToVersion,
    ...statusFlags(run.status),
    isTest: run.isTest,
    createdAt: run.createdAt.toISOString(),
    updatedAt: run.updatedAt.toISOString(),
    startedAt: run.startedAt?.toISOString(),
    finishedAt: run.finishedAt?.toISOString(),
    delayedUntil: run.delayUntil?.toISOString(),
    ttl: typeof run.ttl === "number" ? `${run.ttl}s` : run.ttl,
    expiredAt: run.expiredAt?.toISOString(),
    tags: [...run.tags].sort((a, b) => a.localeCompare(b)),
    costInCents: 0,
    baseCostInCents: 0,
    durationMs: run.durationMs,
    metadata: run.metadata,
    taskKind: run.scheduleId ? "SCHEDULED" : "STANDARD",
    region: run.region,
  };
}

function relatedRunFields(run: RunRecord) {
  return {
    ...commonRunFields(run),
    depth: run.depth,
    triggerFunction: run.triggerFunction,
    batchId: run.batchId,
  };
}

/**
 * `GET /api/v3/runs/{id}` (C:schemas/api.js RetrieveRunResponse). Payload and output are plain
 * JSON: the server decodes the stored packet (superjson included) before answering; output only
 * for COMPLETED runs. Offloaded packets are inlined rather than served as presigned URLs.
 */
export function presentRetrievedRun(
  run: RunRecord,
  related: { parent?: RunRecord; root?: RunRecord; children: RunRecord[]; schedule?: ScheduleRecord },
) {
  return {
    ...relatedRunFields(run),
    payload: run.payload,
    output: run.status === "COMPLETED" ? run.output : undefined,
    error: run.error ? createJsonErrorObject(run.error) : undefined,
    schedule: related.schedule && {
      id: related.schedule.id,
      externalId: related.schedule.externalId,
      deduplicationKey: related.schedule.userProvidedDeduplicationKey
        ? related.schedule.deduplicationKey
        : undefined,
      generator: {
        type: "CRON" as const,
        expression: related.schedule.cron,
        description: related.schedule.description,
      },
    },
    relatedRuns: {
      root: related.root && relatedRunFields(related.root),
      parent: related.parent && relatedRunFields(related.parent),
      children: related.children.map(relatedRunFields),
    },
    attemptCount: run.attempts.length,
  };
}

/** One item of `GET /api/v1/runs` (C:schemas/api.js ListRunResponseItem). */
export function presentListedRun(run: RunRecord, environment: EmulatedEnvironment) {
  return {
    ...commonRunFields(run),
    env: { id: environment.id, name: environment.slug },
  };
}
