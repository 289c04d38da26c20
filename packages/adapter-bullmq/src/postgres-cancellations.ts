import { JOB_CANCELLED_ERROR_CODE, type JobSnapshot } from "@switchyard/core";
import { ErrorCode, type PostgresConnection } from "bullmq";
import { formatJobId, type JobRef } from "./job-ref.js";
import type { PostgresQueue } from "./postgres-connections.js";
import { toPostgresSnapshot } from "./postgres-payload.js";
import { CANCEL_CHANNEL, type PostgresStore } from "./postgres-store.js";

/**
 * Cancellation on BullMQ's PostgreSQL backend, which has no cancelled state (as on Redis, with the
 * adapter's table and a NOTIFY in place of Redis keys and pub/sub):
 * - a waiting or delayed job is removed, and a record of it (its snapshot, cancelled) is kept in
 *   `switchyard_cancelled` for `cancelledRetention`, so `get(id)` still reports it;
 * - a running job is marked (a row holding `"running"`) and a NOTIFY on `switchyard_cancel` names it;
 *   the worker running it aborts the attempt, which then fails in BullMQ with SWITCHYARD_JOB_CANCELLED.
 *   The mark catches a job whose worker died before the notice: it is checked when the job comes back.
 */
export class PostgresCancellations {
  readonly #store: PostgresStore;
  readonly #retentionMs: number;

  /** The schema of this backend: NOTIFY reaches the whole database, so each notice names it. */
  readonly #schema: string;

  constructor(options: { store: PostgresStore; retentionMs: number; schema: string }) {
    this.#store = options.store;
    this.#retentionMs = options.retentionMs;
    this.#schema = options.schema;
  }

  async cancel(queue: PostgresQueue, ref: JobRef): Promise<boolean> {
    const job = await queue.getJob(ref.jobId);
    if (!job) return false;
    const state = await job.getState();
    if (state === "active") return this.#cancelRunning(ref);
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
    // It started meanwhile: a running job is locked, and is cancelled as a running one.
    await this.#store.deleteCancelled(ref.queue, ref.jobId);
    return this.#cancelRunning(ref);
  }

  /** The record of a job cancelled before it ran, while it is kept. */
  async record(ref: JobRef): Promise<JobSnapshot | undefined> {
    return cancelledRecordOf(await this.#store.readCancelled(ref.queue, ref.jobId));
  }

  /** True when the job was cancelled while it ran. */
  async isMarked(ref: JobRef): Promise<boolean> {
    return (await this.#store.readCancelled(ref.queue, ref.jobId)) === "running";
  }

  /**
   * Listens for cancel notices on a LISTEN connection of the worker's own: `onCancel` gets each
   * cancelled job's Switchyard id. Resolves once listening; a LISTEN connection BullMQ rebuilds after
   * a drop listens again.
   */
  async listen(connection: PostgresConnection, onCancel: (id: string) => void): Promise<void> {
    const subscribe = async () => {
      const client = await connection.getListenClient();
      client.on("notification", (message) => {
        if (message.channel !== CANCEL_CHANNEL || !message.payload) return;
        const notice = JSON.parse(message.payload) as { schema?: unknown; id?: unknown };
        if (notice.schema === this.#schema && typeof notice.id === "string") onCancel(notice.id);
      });
      await client.query(`LISTEN ${CANCEL_CHANNEL}`);
    };
    connection.on("listenerinvalidated", () => {
      subscribe().catch(() => {});
    });
    await subscribe();
  }

  async #cancelRunning(ref: JobRef): Promise<boolean> {
    const notice = JSON.stringify({ schema: this.#schema, id: formatJobId(ref.queue, ref.jobId) });
    await this.#store.markRunningCancelled(ref.queue, ref.jobId, this.#retentionMs, notice);
    return true;
  }
}

/** The snapshot a `switchyard_cancelled` row holds; undefined for a running job's mark. */
export function cancelledRecordOf(record: unknown): JobSnapshot | undefined {
  const stored = record as (JobSnapshot & Record<"createdAt" | "finishedAt", string | undefined>) | undefined;
  if (typeof stored !== "object" || stored === null) return undefined; // none, or a running job's mark
  return {
    ...stored,
    createdAt: stored.createdAt === undefined ? undefined : new Date(stored.createdAt),
    finishedAt: stored.finishedAt === undefined ? undefined : new Date(stored.finishedAt),
  };
}
