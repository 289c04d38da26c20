import type {
  Backend,
  EnqueueResult,
  JobCounts,
  JobPage,
  JobSnapshot,
  JobState,
  ScheduleEntry,
  WorkerOptions,
} from "@switchyard/core";
import type { EnqueueRequest, JobRuntime } from "@switchyard/core/adapter";
import { type PostgresConnectionOptions, type PostgresQueueBackend, Queue } from "bullmq";
import type { BullmqBackendOptions } from "./bullmq-options.js";
import { bullmqPostgresCapabilities } from "./bullmq-postgres-capabilities.js";
import { BullmqPostgresWorkerRunner } from "./bullmq-postgres-worker.js";
import { cronRepeatStrategy } from "./cron-repeat.js";
import { EnqueueOptions } from "./enqueue-options.js";
import { formatJobId, parseJobId } from "./job-ref.js";
import { isCancelledJob } from "./job-snapshot.js";
import { PostgresCancellations } from "./postgres-cancellations.js";
import { PostgresConnections, type PostgresQueue, toPostgresUnavailable } from "./postgres-connections.js";
import { countPostgresJobs, listPostgresPage } from "./postgres-job-listing.js";
import { resolvePostgresBullmqOptions } from "./postgres-options.js";
import { storedData, toPostgresSnapshot } from "./postgres-payload.js";
import { PostgresSchedulers } from "./postgres-schedulers.js";
import { PostgresStore } from "./postgres-store.js";

/** How long close() waits for each BullMQ queue to close (they share the client's connection). */
const QUEUE_CLOSE_TIMEOUT_MS = 2_000;

/**
 * `bullmq({ postgres })`: BullMQ 6's PostgreSQL backend instead of Redis. Jobs are rows of BullMQ's
 * tables (in `postgres.schema`), run by `jobs.work()`; each job is its own BullMQ queue, as on Redis.
 * What differs from Redis is in bullmqPostgresCapabilities.
 */
export function bullmqPostgres(options: BullmqBackendOptions): Backend {
  return new BullmqPostgresBackend(options);
}

class BullmqPostgresBackend implements Backend {
  readonly capabilities = bullmqPostgresCapabilities;
  readonly #lockDurationMs: number;
  readonly #stalledIntervalMs: number;
  readonly #readyTimeoutMs: number | undefined;
  readonly #schema: string;
  readonly #connections: PostgresConnections;
  readonly #store: PostgresStore;
  readonly #queues = new Map<string, PostgresQueue>();
  readonly #enqueueOptions: EnqueueOptions;
  readonly #workers = new Set<BullmqPostgresWorkerRunner>();
  readonly #cancellations: PostgresCancellations;
  readonly #schedulers: PostgresSchedulers;
  #runtime!: JobRuntime;
  #lastError?: { message: string; at: number };

  constructor(options: BullmqBackendOptions) {
    const resolved = resolvePostgresBullmqOptions(options);
    this.#lockDurationMs = resolved.lockDurationMs;
    this.#stalledIntervalMs = resolved.stalledIntervalMs;
    this.#readyTimeoutMs = resolved.readyTimeoutMs;
    this.#enqueueOptions = new EnqueueOptions(resolved.keep, resolved.defaultIdempotencyTtlMs);
    this.#schema = resolved.schema;
    this.#connections = new PostgresConnections(resolved, (error) => this.#reportError(error));
    this.#store = new PostgresStore(() => this.#connections.producer);
    this.#cancellations = new PostgresCancellations({
      store: this.#store,
      retentionMs: resolved.cancelledRetentionMs,
      schema: resolved.schema,
    });
    this.#schedulers = new PostgresSchedulers({
      queue: (name) => this.#queue(name),
      jobNames: () => this.#jobNamesInScope(),
      store: this.#store,
    });
  }

  attach(runtime: JobRuntime): void {
    this.#runtime = runtime;
  }

  enqueue(requests: ReadonlyArray<EnqueueRequest>): Promise<EnqueueResult[]> {
    return this.#write(async () =>
      requests.length === 1 ? [await this.#addOne(requests[0]!)] : await this.#addMany(requests),
    );
  }

  async get(id: string): Promise<JobSnapshot | undefined> {
    const ref = parseJobId(id);
    if (!ref) return undefined;
    return this.#read(async () => {
      const queue = this.#queue(ref.queue);
      // State first, then the job (see bullmq-backend.ts).
      let state = await queue.getJobState(ref.jobId);
      const job = await queue.getJob(ref.jobId);
      if (!job) return this.#cancellations.record(ref);
      if (job.finishedOn && state !== "completed" && state !== "failed") state = await job.getState();
      const snapshot = toPostgresSnapshot(ref.queue, job, state);
      if (snapshot.state === "delayed") {
        // The row keeps the due time of any delayed job (a retry's too, which the job does not show).
        const dueAt = await this.#store.dueAt(ref.queue, ref.jobId);
        if (dueAt) snapshot.runAt = dueAt;
      }
      return snapshot;
    });
  }

  async cancel(id: string): Promise<boolean> {
    const ref = parseJobId(id);
    if (!ref) return false;
    return this.#write(() => this.#cancellations.cancel(this.#queue(ref.queue), ref));
  }

  async retry(id: string): Promise<boolean> {
    const ref = parseJobId(id);
    if (!ref) return false;
    return this.#write(async () => {
      const job = await this.#queue(ref.queue).getJob(ref.jobId);
      if (!job || isCancelledJob(job) || (await job.getState()) !== "failed") return false;
      try {
        await job.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
        return true;
      } catch (error) {
        if (toPostgresUnavailable(error, "unknown") !== error) throw error;
        return false; // no longer failed: retried or removed meanwhile
      }
    });
  }

  /** The first page of list({ state: "failed" }): most recently failed first, cancelled ones left out. */
  async listFailed(options: { job?: string; limit: number }): Promise<JobSnapshot[]> {
    return (await this.list({ state: "failed", job: options.job, limit: options.limit })).jobs;
  }

  /** Without `job`: the jobs in scope (each job is its own queue), counted in one statement. */
  counts(options: { job?: string }): Promise<JobCounts> {
    return this.#read(async () => countPostgresJobs(this.#store, await this.#namesOf(options)));
  }

  list(options: { state: JobState; job?: string; limit: number; cursor?: string }): Promise<JobPage> {
    return this.#read(async () =>
      listPostgresPage(this.#store, (name) => this.#queue(name), await this.#namesOf(options), {
        state: options.state,
        job: options.job,
        limit: options.limit,
        cursor: options.cursor,
      }),
    );
  }

  async upsertSchedule(entry: ScheduleEntry, options: { declared: boolean }): Promise<void> {
    const job = this.#runtime.jobs.get(entry.job)!;
    await this.#write(() =>
      this.#schedulers.upsert(entry, job, this.#enqueueOptions.ofJob(job), options.declared),
    );
  }

  removeSchedule(id: string): Promise<boolean> {
    return this.#write(() => this.#schedulers.remove(id));
  }

  listSchedules(): Promise<ScheduleEntry[]> {
    return this.#read(() => this.#schedulers.list());
  }

  work(options: Required<WorkerOptions>): BullmqPostgresWorkerRunner {
    const worker = new BullmqPostgresWorkerRunner({
      runtime: this.#runtime,
      concurrency: options.concurrency,
      lockDurationMs: this.#lockDurationMs,
      stalledIntervalMs: this.#stalledIntervalMs,
      connections: this.#connections,
      queue: (name) => this.#queue(name),
      cancellations: this.#cancellations,
      readyTimeoutMs: this.#readyTimeoutMs,
      onError: (error) => this.#reportError(error),
      onClosed: (closed) => this.#workers.delete(closed),
    });
    this.#workers.add(worker);
    return worker;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#workers].map((worker) => worker.stop({ graceful: false })));
    const queues = [...this.#queues.values()];
    this.#queues.clear();
    await Promise.all(
      queues.map((queue) => withTimeout(queue.close(), QUEUE_CLOSE_TIMEOUT_MS).catch(() => {})),
    );
    await this.#connections.close();
  }

  // ---- internal ----

  async #addOne(request: EnqueueRequest): Promise<EnqueueResult> {
    const name = request.job.name;
    const opts = this.#enqueueOptions.of(request);
    const job = await this.#queue(name).add(name, storedData(request.payload), opts);
    return {
      id: formatJobId(name, job.id!),
      deduplicated: opts.jobId !== undefined && job.id !== opts.jobId,
    };
  }

  /** One addBulk per job, in order; a failure after a stored group may have stored part of the batch. */
  async #addMany(requests: ReadonlyArray<EnqueueRequest>): Promise<EnqueueResult[]> {
    const groups = new Map<string, EnqueueRequest[]>();
    for (const request of requests) {
      const group = groups.get(request.job.name);
      if (group) group.push(request);
      else groups.set(request.job.name, [request]);
    }
    const byRequest = new Map<EnqueueRequest, EnqueueResult>();
    for (const [name, group] of groups) {
      const entries = group.map((request) => ({
        name,
        data: storedData(request.payload),
        opts: this.#enqueueOptions.of(request),
      }));
      const jobs = await this.#queue(name).addBulk(entries);
      for (const [index, job] of jobs.entries()) {
        const proposed = entries[index]!.opts.jobId;
        byRequest.set(group[index]!, {
          id: formatJobId(name, job.id!),
          deduplicated: proposed !== undefined && job.id !== proposed,
        });
      }
    }
    return requests.map((request) => byRequest.get(request)!);
  }

  /** The BullMQ queue of a job on the client's shared connection, created on first use. */
  #queue(name: string): PostgresQueue {
    let queue = this.#queues.get(name);
    if (!queue) {
      queue = new Queue<
        unknown,
        unknown,
        string,
        unknown,
        unknown,
        string,
        PostgresQueueBackend,
        PostgresConnectionOptions
      >(
        name,
        {
          // Ignored by the factory, which uses the client's connection; BullMQ wants one given.
          connection: { schema: this.#schema },
          skipMetasUpdate: !this.#runtime.jobs.has(name),
          settings: { repeatStrategy: cronRepeatStrategy },
        },
        this.#connections.queueFactory,
      );
      queue.on("error", (error) => this.#reportError(error));
      this.#queues.set(name, queue);
    }
    return queue;
  }

  /**
   * The jobs a call that names none covers: this client's jobs; for a client with none (an operator's
   * client: the CLI, the dashboard), every job with a queue in the schema.
   */
  async #jobNamesInScope(): Promise<string[]> {
    if (this.#runtime.jobs.size > 0) return [...this.#runtime.jobs.keys()];
    return this.#store.queueNames();
  }

  /** The job names a call covers: `job`, defined here or not, else those of #jobNamesInScope. */
  async #namesOf(options: { job?: string }): Promise<string[]> {
    return options.job === undefined ? this.#jobNamesInScope() : [options.job];
  }

  #read<T>(body: () => Promise<T>): Promise<T> {
    return this.#call(body, false);
  }

  #write<T>(body: () => Promise<T>): Promise<T> {
    return this.#call(body, true);
  }

  /** Runs a client call once the schema is ready (else BackendUnavailableError after commandTimeout). */
  async #call<T>(body: () => Promise<T>, writes: boolean): Promise<T> {
    const starting = this.#connections.ready();
    if (starting) await starting;
    try {
      return await body();
    } catch (error) {
      throw toPostgresUnavailable(error, writes ? "unknown" : "no");
    }
  }

  /** Each distinct connection error is logged at most every 30 s. */
  #reportError(error: Error): void {
    const now = Date.now();
    if (this.#lastError?.message === error.message && now - this.#lastError.at < 30_000) return;
    this.#lastError = { message: error.message, at: now };
    this.#runtime.logger.warn(`bullmq (postgres): ${error.message}`, { schema: this.#schema });
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
