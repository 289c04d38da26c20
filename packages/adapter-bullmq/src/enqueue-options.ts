import { randomUUID } from "node:crypto";
import type { JobDefinition } from "@switchyard/core";
import type { EnqueueRequest } from "@switchyard/core/adapter";
import type { JobsOptions } from "bullmq";
import { SWITCHYARD_BACKOFF } from "./bullmq-worker.js";
import { withTraceMetadata } from "./trace-metadata.js";

/**
 * The BullMQ options of one enqueue, the same on Redis and on BullMQ's PostgreSQL backend: the job's
 * own (attempts, Switchyard's backoff, retention; built once a job), plus delay, priority,
 * deduplication and the trace context.
 */
export class EnqueueOptions {
  readonly #keep: Pick<JobsOptions, "removeOnComplete" | "removeOnFail">;
  readonly #defaultTtlMs: number;
  readonly #jobOptions = new WeakMap<JobDefinition, JobsOptions>();

  constructor(keep: Pick<JobsOptions, "removeOnComplete" | "removeOnFail">, defaultTtlMs: number) {
    this.#keep = keep;
    this.#defaultTtlMs = defaultTtlMs;
  }

  of(request: EnqueueRequest): JobsOptions {
    const opts = this.#ownOptions(request);
    return request.traceContext ? withTraceMetadata(opts, request.traceContext) : opts;
  }

  #ownOptions(request: EnqueueRequest): JobsOptions {
    const base = this.ofJob(request.job);
    if (request.runAt === undefined && !request.priority && request.idempotencyKey === undefined) return base;
    const opts: JobsOptions = { ...base };
    if (request.runAt !== undefined) {
      const delay = request.runAt.getTime() - Date.now();
      if (delay > 0) opts.delay = delay;
    }
    // Switchyard 0..1000, lower first, default 0; BullMQ 0 = unprioritized, which runs before any
    // prioritized job, then lower first: the same order, so the number is passed as it is.
    if (request.priority) opts.priority = request.priority;
    if (request.idempotencyKey !== undefined) {
      const ttl = request.idempotencyTtlMs ?? this.#defaultTtlMs;
      if (ttl > 0) {
        opts.deduplication = { id: request.idempotencyKey, ttl };
        // An id of our own: BullMQ returns the holder's id instead when the key is live.
        opts.jobId = randomUUID();
      }
    }
    return opts;
  }

  /** The job's own options, built once a job (schedules take them as they are). */
  ofJob(job: JobDefinition): JobsOptions {
    let opts = this.#jobOptions.get(job);
    if (!opts) {
      const { maxAttempts } = job.retry;
      opts =
        maxAttempts > 1
          ? { attempts: maxAttempts, backoff: { type: SWITCHYARD_BACKOFF }, ...this.#keep }
          : { attempts: 1, ...this.#keep };
      this.#jobOptions.set(job, opts);
    }
    return opts;
  }
}
