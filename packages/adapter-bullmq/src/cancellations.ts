import { JOB_CANCELLED_ERROR_CODE, type JobSnapshot } from "@switchyard/core";
import { ErrorCode, type Queue } from "bullmq";
import type { Redis } from "ioredis";
import { cancelledIndexKey, countCancelled, indexCancellation } from "./cancelled-index.js";
import { formatJobId, type JobRef } from "./job-ref.js";
import { toJobSnapshot } from "./job-snapshot.js";

/**
 * Cancellation on BullMQ, which has no cancelled state. All of its Redis keys and messages are here:
 * - a waiting or delayed job is removed, and a record of it (its snapshot, cancelled) is kept under
 *   `<prefix>:<job>:<id>:cancelled` for `cancelledRetention`, so `get(id)` still reports it;
 * - a running job is marked (the same key, holding `running`) and its id is published on
 *   `<prefix>:switchyard:cancel`; the worker running it aborts the attempt, which then fails in
 *   BullMQ with SWITCHYARD_JOB_CANCELLED. The mark catches a job whose worker died before the notice:
 *   it is checked when the job comes back (`isMarked`);
 * - both are indexed per job, to count and list them (cancelled-index.ts).
 */
export class Cancellations {
  readonly #prefix: string;
  readonly #retentionMs: number;
  /** The connection the client's calls use (created on first use). */
  readonly #redis: () => Redis;

  constructor(options: { prefix: string; retentionMs: number; redis: () => Redis }) {
    this.#prefix = options.prefix;
    this.#retentionMs = options.retentionMs;
    this.#redis = options.redis;
  }

  /** The pub/sub channel of cancel notices: one Switchyard job id a message. */
  get channel(): string {
    return `${this.#prefix}:switchyard:cancel`;
  }

  /**
   * Cancels a job of `queue`: true when it was waiting, delayed or running and is now cancelled (a
   * running one once its worker gets the notice); false when it is finished or unknown, and for the
   * pending next run of a schedule, which BullMQ removes only with its schedule.
   */
  async cancel(queue: Queue, ref: JobRef): Promise<boolean> {
    const job = await queue.getJob(ref.jobId);
    if (!job) return false;
    const state = await job.getState();
    if (state === "active") return this.#cancelRunning(queue, ref);
    if (state === "completed" || state === "failed" || state === "unknown") return false;
    const key = this.#key(ref);
    const { runAt: _dueAt, error: _earlierFailure, ...rest } = toJobSnapshot(ref.queue, job, state);
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
    const redis = this.#redis();
    const recording = redis.multi().set(key, JSON.stringify(record), "PX", this.#retentionMs);
    await indexCancellation(recording, this.#indexEntry(ref, false)).exec();
    let removed: number;
    try {
      removed = await queue.remove(ref.jobId);
    } catch (error) {
      await this.#unrecord(ref);
      if ((error as { code?: unknown }).code === ErrorCode.JobBelongsToJobScheduler) return false;
      throw error;
    }
    if (removed === 1) return true;
    // It started meanwhile: a running job is locked, and is cancelled as a running one.
    await this.#unrecord(ref);
    return this.#cancelRunning(queue, ref);
  }

  /** The record of a job cancelled before it ran, while it is kept. */
  async record(ref: JobRef): Promise<JobSnapshot | undefined> {
    const stored = await this.#redis().get(this.#key(ref));
    if (!stored?.startsWith("{")) return undefined;
    const record = JSON.parse(stored) as JobSnapshot & Record<"createdAt" | "finishedAt", string | undefined>;
    return {
      ...record,
      createdAt: record.createdAt === undefined ? undefined : new Date(record.createdAt),
      finishedAt: record.finishedAt === undefined ? undefined : new Date(record.finishedAt),
    };
  }

  /** One job's cancelled jobs, and how many of them BullMQ counts as failed (cancelled-index.ts). */
  counts(queue: Queue): Promise<{ cancelled: number; failed: number }> {
    return countCancelled(this.#redis(), {
      prefix: this.#prefix,
      queue: queue.name,
      failedKey: queue.keys.failed!,
      completedKey: queue.keys.completed!,
      retentionMs: this.#retentionMs,
    });
  }

  /** True when the job was cancelled while it ran (on `redis`, a worker's own connection). */
  async isMarked(redis: Redis, ref: JobRef): Promise<boolean> {
    return (await redis.exists(this.#key(ref))) === 1;
  }

  /**
   * Listens for cancel notices on a worker's subscriber connection: `onCancel` gets each cancelled
   * job's Switchyard id (the worker aborts it if it runs it). Resolves once subscribed.
   */
  async listen(subscriber: Redis, onCancel: (id: string) => void): Promise<void> {
    subscriber.on("message", (channel: string, id: string) => {
      if (channel === this.channel) onCancel(id);
    });
    await subscriber.subscribe(this.channel);
  }

  async #cancelRunning(queue: Queue, ref: JobRef): Promise<boolean> {
    const marking = this.#redis().multi().set(this.#key(ref), "running", "PX", this.#retentionMs);
    await indexCancellation(marking, this.#indexEntry(ref, true))
      .publish(this.channel, formatJobId(ref.queue, ref.jobId))
      .exec();
    // Counting prunes the running index of jobs BullMQ no longer keeps failed: done here too, so the
    // index stays as small as BullMQ's failed set even when nothing calls counts().
    await this.counts(queue).catch(() => {}); // best effort: the next count prunes as well
    return true;
  }

  async #unrecord(ref: JobRef): Promise<void> {
    await this.#redis()
      .multi()
      .del(this.#key(ref))
      .zrem(cancelledIndexKey(this.#prefix, ref.queue, false), ref.jobId)
      .exec();
  }

  #indexEntry(ref: JobRef, running: boolean) {
    return {
      prefix: this.#prefix,
      queue: ref.queue,
      jobId: ref.jobId,
      running,
      retentionMs: this.#retentionMs,
    };
  }

  #key(ref: JobRef): string {
    return `${this.#prefix}:${ref.queue}:${ref.jobId}:cancelled`;
  }
}
