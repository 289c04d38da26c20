import { generateFriendlyId, parsePacket, type TriggerTaskRequestBody } from "@trigger.dev/core/v3";
import { namedLimitsFor, resolveQueueName } from "./concurrency-slots.js";
import { resolveDelay, resolveIdempotencyKeyExpiry } from "./durations.js";
import { findCachedRun } from "./idempotency.js";
import type { Packet, PacketStore } from "./packet-store.js";
import type { RunRecord, TriggerFunction } from "./run-record.js";
import type { RunStore } from "./run-store.js";
import { findTaskManifest } from "./task-catalog.js";

/** Everything that creates a run funnels through this: trigger, batch item, replay, schedule. */
export interface CreateRunInput {
  taskIdentifier: string;
  body: TriggerTaskRequestBody;
  triggerFunction?: TriggerFunction;
  batchId?: string;
  scheduleId?: string;
  replayedFromRunId?: string;
}

export interface CreateRunResult {
  run: RunRecord;
  /** True when an idempotency key matched an existing run, which is returned instead. */
  isCached: boolean;
}

/** Thrown for a request the server would reject with a 4xx. */
export class RunInputError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/**
 * Creates a run the way the trigger endpoint does (W:apps/webapp/app/routes/api.v1.tasks.$taskId.trigger.ts
 * → RunEngineTriggerTaskService): idempotency first, then delay, queue, ttl (trigger option,
 * else the task's), tags, metadata, parent/root lineage.
 */
export async function createRun(
  input: CreateRunInput,
  store: RunStore,
  packets: PacketStore,
): Promise<CreateRunResult> {
  const now = Date.now();
  const options = input.body.options ?? {};
  const taskIdentifier = input.taskIdentifier;
  const payloadPacket = toPacket(input.body.payload, options.payloadType);
  let payload: unknown;
  try {
    payload = await packets.decode(payloadPacket);
  } catch (error) {
    throw new RunInputError(`Invalid payload: ${error instanceof Error ? error.message : String(error)}`);
  }
  const metadata = await decodeMetadata(options.metadata, options.metadataType);
  // Checked after the awaits above so that two concurrent triggers with one key can't both create.
  if (options.idempotencyKey) {
    const cached = findCachedRun(store, taskIdentifier, options.idempotencyKey, now);
    if (cached) return { run: cached, isCached: true };
  }
  const parent = options.parentRunId ? store.get(options.parentRunId) : undefined;
  const manifest = findTaskManifest(taskIdentifier);
  const delayUntil = resolveDelay(options.delay, now);
  const createdAt = new Date(now);
  const run: RunRecord = {
    id: generateFriendlyId("run"),
    taskIdentifier,
    status: delayUntil ? "DELAYED" : "QUEUED",
    payloadPacket,
    payload,
    output: undefined,
    seedMetadata: metadata,
    metadata,
    attempts: [],
    createdAt,
    updatedAt: createdAt,
    delayUntil,
    queuedAt: delayUntil ?? createdAt,
    queue: resolveQueueName(taskIdentifier, options.queue?.name),
    concurrencyKey: options.concurrencyKey,
    concurrencyLimits: namedLimitsFor(taskIdentifier, options.concurrency),
    priority: options.priority ?? 0,
    tags: normalizeTags(options.tags),
    ttl: options.ttl ?? manifest?.ttl,
    idempotencyKey: options.idempotencyKey,
    idempotencyKeyExpiresAt: options.idempotencyKey
      ? resolveIdempotencyKeyExpiry(options.idempotencyKeyTTL, now)
      : undefined,
    idempotencyKeyOptions: options.idempotencyKeyOptions,
    maxAttempts: options.maxAttempts,
    maxDurationSeconds: options.maxDuration ?? manifest?.maxDuration,
    machine: options.machine,
    isTest: options.test ?? false,
    depth: parent ? parent.depth + 1 : 0,
    parentRunId: parent?.id,
    rootRunId: parent ? (parent.rootRunId ?? parent.id) : undefined,
    batchId: input.batchId,
    scheduleId: input.scheduleId,
    triggerFunction:
      input.triggerFunction ?? (options.resumeParentOnCompletion ? "triggerAndWait" : "trigger"),
    lockToVersion: options.lockToVersion,
    region: options.region,
    replayedFromRunId: input.replayedFromRunId,
    durationMs: 0,
  };
  store.add(run);
  return { run, isCached: false };
}

function toPacket(payload: unknown, payloadType: string | undefined): Packet {
  if (payload === undefined || payload === null) return { dataType: payloadType ?? "application/json" };
  if (typeof payload === "string") return { data: payload, dataType: payloadType ?? "application/json" };
  return { data: JSON.stringify(payload), dataType: "application/json" };
}

async function decodeMetadata(metadata: unknown, metadataType: string | undefined) {
  const value =
    typeof metadata === "string" && metadataType
      ? await parsePacket({ data: metadata, dataType: metadataType })
      : metadata;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value))
    throw new RunInputError("metadata must be an object");
  return value as Record<string, unknown>;
}

/** Tags arrive as a string or an array of strings (C:schemas/api.js RunTags). */
function normalizeTags(tags: string | string[] | undefined): string[] {
  if (tags === undefined) return [];
  return [...new Set(Array.isArray(tags) ? tags : [tags])];
}
