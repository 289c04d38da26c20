import { JOB_CANCELLED_ERROR_CODE, type JobSnapshot } from "@switchyard/core";
import { ErrorCode } from "bullmq";
import { formatJobId, type JobRef } from "./job-ref.js";
import type { PostgresQueue } from "./postgres-connections.js";
import { toPostgresSnapshot } from "./postgres-payload.js";
import type { PostgresStore } from "./postgres-store.js";

/**
 * Cancellation on BullMQ's PostgreSQL backend, which has no cancelled state: a waiting or delayed job
 * is removed and a record of it (its snapshot, cancelled) is kept in `switchyard_cancelled` for
 * `cancelledRetention`, so `get(id)` still reports it. A running job is not cancelled (false): the
 * Redis adapter tells its worker over pub/sub, which this backend does not have (see the manifest's
 * jobs.cancelRunning note).
 */
export class PostgresCancellations {
  readonly #store: PostgresStore;
  readonly #retentionMs: number;

  constructor(options: { store: PostgresStore; retentionMs: number }) {
    this.#store = options.store;
    this.#retentionMs = options.retentionMs;
  }

  async cancel(queue: PostgresQueue, ref: JobRef): Promise<boolean> {
    const job = await queue.getJob(ref.jobId);
    if (!job) return false;
    const state = await job.getState();
    if (state !== "waiting" && state !== "delayed" && state !== "prioritized") return false;
    const { runAt: _dueAt, error: _earlierFailure, ...rest } = toPostgresSnapshot(ref.queue, job, state);
    const record: JobSnapshot = {
      ...rest,
      state: "cancelled",
      error: {
        message: `job ${formatJobId(ref.queue, ref.jobId)} was cancelled`,
        code: JOB_CANCELLED_ERROR_CODE,
      },
      finishedAt: new Date(),
    };
    // The record first: a get(id) between the removal and the record would find nothing.
    await this.#store.saveCancelled(ref.queue, ref.jobId, record, this.#retentionMs);
    let removed: number;
    try {
      removed = await queue.remove(ref.jobId);
    } catch (error) {
      await this.#store.deleteCancelled(ref.queue, ref.jobId);
      if ((error as { code?: unknown }).code === ErrorCode.JobBelongsToJobScheduler) return false;
      throw error;
    }
    if (removed === 1) return true;
    // It started meanwhile (a running job is locked): not cancelled.
    await this.#store.deleteCancelled(ref.queue, ref.jobId);
    return false;
  }

  /** The record of a job cancelled before it ran, while it is kept. */
  async record(ref: JobRef): Promise<JobSnapshot | undefined> {
    const stored = (await this.#store.readCancelled(ref.queue, ref.jobId)) as
      | (JobSnapshot & Record<"createdAt" | "finishedAt", string | undefined>)
      | undefined;
    if (!stored) return undefined;
    return {
      ...stored,
      createdAt: stored.createdAt === undefined ? undefined : new Date(stored.createdAt),
      finishedAt: stored.finishedAt === undefined ? undefined : new Date(stored.finishedAt),
    };
  }
}
