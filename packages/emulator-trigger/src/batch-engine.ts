import {
  type BatchItemNDJSON,
  type CreateBatchRequestBody,
  generateFriendlyId,
  type TriggerTaskRequestBody,
} from "@trigger.dev/core/v3";
import { RunInputError } from "./create-run.js";
import type { RunEngine } from "./run-engine.js";

/** A batch created by `batchTrigger` (C:schemas/api.js CreateBatchRequestBody, RetrieveBatchV2Response). */
export interface BatchRecord {
  id: string;
  runCount: number;
  idempotencyKey?: string;
  parentRunId?: string;
  resumeParentOnCompletion: boolean;
  createdAt: Date;
  updatedAt: Date;
  /** Run id per item index. */
  runIds: Map<number, string>;
  errors: { index: number; taskIdentifier: string; error: string }[];
  sealedAt?: Date;
}

/**
 * The two-phase batch API (C:apiClient/index.js createBatch/streamBatchItems;
 * W:apps/webapp/app/routes/api.v3.batches.ts and api.v3.batches.$batchId.items.ts): create the
 * batch with its expected `runCount`, then stream NDJSON items. Items are deduplicated by index,
 * so the SDK may resend the whole stream; the batch seals once every index is accounted for.
 */
export class BatchEngine {
  readonly #batches = new Map<string, BatchRecord>();
  readonly #runs: RunEngine;

  constructor(runs: RunEngine) {
    this.#runs = runs;
  }

  get(id: string): BatchRecord | undefined {
    return this.#batches.get(id);
  }

  /** A batch-level idempotency key returns the earlier batch with `isCached: true`. */
  create(body: CreateBatchRequestBody): { batch: BatchRecord; isCached: boolean } {
    if (body.idempotencyKey) {
      const cached = [...this.#batches.values()].find(
        (batch) => batch.idempotencyKey === body.idempotencyKey,
      );
      if (cached) return { batch: cached, isCached: true };
    }
    const now = new Date();
    const batch: BatchRecord = {
      id: generateFriendlyId("batch"),
      runCount: body.runCount,
      idempotencyKey: body.idempotencyKey,
      parentRunId: body.parentRunId,
      resumeParentOnCompletion: body.resumeParentOnCompletion ?? false,
      createdAt: now,
      updatedAt: now,
      runIds: new Map(),
      errors: [],
    };
    this.#batches.set(batch.id, batch);
    return { batch, isCached: false };
  }

  async addItems(batch: BatchRecord, items: BatchItemNDJSON[]) {
    let itemsAccepted = 0;
    let itemsDeduplicated = 0;
    for (const item of items) {
      if (batch.runIds.has(item.index) || batch.errors.some((error) => error.index === item.index)) {
        itemsDeduplicated++;
        continue;
      }
      const options = {
        ...(item.options as TriggerTaskRequestBody["options"]),
        parentRunId: batch.parentRunId,
      };
      try {
        const { run } = await this.#runs.trigger({
          taskIdentifier: item.task,
          body: { payload: item.payload, options },
          batchId: batch.id,
          triggerFunction: batch.resumeParentOnCompletion ? "batchTriggerAndWait" : "batchTrigger",
        });
        batch.runIds.set(item.index, run.id);
        itemsAccepted++;
      } catch (error) {
        if (!(error instanceof RunInputError)) throw error;
        batch.errors.push({ index: item.index, taskIdentifier: item.task, error: error.message });
      }
    }
    batch.updatedAt = new Date();
    const enqueuedCount = batch.runIds.size + batch.errors.length;
    const sealed = enqueuedCount >= batch.runCount;
    if (sealed) batch.sealedAt ??= batch.updatedAt;
    return {
      id: batch.id,
      itemsAccepted,
      itemsDeduplicated,
      sealed,
      ...(sealed ? {} : { enqueuedCount, expectedCount: batch.runCount }),
    };
  }

  /** `GET /api/v2/batches/{id}`: PENDING until sealed, then COMPLETED (PARTIAL_FAILED with item errors). */
  present(batch: BatchRecord) {
    const status = !batch.sealedAt ? "PENDING" : batch.errors.length > 0 ? "PARTIAL_FAILED" : "COMPLETED";
    return {
      id: batch.id,
      status,
      idempotencyKey: batch.idempotencyKey,
      createdAt: batch.createdAt.toISOString(),
      updatedAt: batch.updatedAt.toISOString(),
      runCount: batch.runCount,
      runs: [...batch.runIds.entries()].sort(([a], [b]) => a - b).map(([, runId]) => runId),
      processing: { completedAt: batch.sealedAt?.toISOString(), errors: batch.errors },
    };
  }
}
