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
import { Queue } from "bullmq";
import { bullmqCapabilities } from "./bullmq-capabilities.js";
import { type BullmqBackendOptions, resolveBullmqOptions } from "./bullmq-options.js";
import { bullmqPostgres } from "./bullmq-postgres-backend.js";
import { BullmqWorkerRunner } from "./bullmq-worker.js";
import { Cancellations } from "./cancellations.js";
import { cronRepeatStrategy } from "./cron-repeat.js";
import { EnqueueOptions } from "./enqueue-options.js";
import { addCounts, countQueue, listPage } from "./job-listing.js";
import { formatJobId, parseJobId } from "./job-ref.js";
import { JobSchedulers } from "./job-schedulers.js";
import { isCancelledJob, toJobSnapshot } from "./job-snapshot.js";
import { wantsPostgres } from "./postgres-options.js";
import { QueueNameCache, queueExists, queueNamesUnder } from "./queue-names.js";
import { RedisConnections } from "./redis-connections.js";
import { readStepView, withStepView } from "./step-view.js";
import { isConnectionFailure, storedOutcomeOf, toUnavailable } from "./unavailable.js";

/** How long close() waits for each BullMQ queue to close (they share the producer; nothing to quit). */
const QUEUE_CLOSE_TIMEOUT_MS = 2_000;

/**
 * The BullMQ backend: jobs are stored in Redis by BullMQ and run by `jobs.work()` (which returns a
 * BullmqWorker). Each job is its own BullMQ queue, named after the job. Connections are created on
 * first use and closed by `close()`. With `postgres`, BullMQ runs on PostgreSQL instead (bullmqPostgres).
 */
export function bullmq(options: BullmqBackendOptions = {}): Backend {
  // BullMQ on PostgreSQL: its own backend class (bullmq-postgres-backend.ts).
  if (wantsPostgres(options)) return bullmqPostgres(options);
  return new BullmqBackend(options);
}

class BullmqBackend implements Backend {
  readonly capabilities = bullmqCapabilities;
  readonly #prefix: string;
  readonly #lockDurationMs: number;
  readonly #stalledIntervalMs: number;
  readonly #readyTimeoutMs: number | undefined;
  readonly #connections: RedisConnections;
  readonly #queues = new Map<string, Queue>();
  readonly #enqueueOptions: EnqueueOptions;
  readonly #workers = new Set<BullmqWorkerRunner>();
  readonly #cancellations: Cancellations;
  readonly #schedulers: JobSchedulers;
  /** An operator's client's queue names (a SCAN of the keyspace), reused for 30 s (queue-names.ts). */
  readonly #queueNames: QueueNameCache;
  /** Set by attach(), which core calls before anything else. */
  #runtime!: JobRuntime;
  #lastError?: { message: string; at: number };

  constructor(options: BullmqBackendOptions) {
    const resolved = resolveBullmqOptions(options);
    this.#prefix = resolved.prefix;
    this.#lockDurationMs = resolved.lockDurationMs;
    this.#stalledIntervalMs = resolved.stalledIntervalMs;
    this.#readyTimeoutMs = resolved.readyTimeoutMs;
    this.#enqueueOptions = new EnqueueOptions(resolved.keep, resolved.defaultIdempotencyTtlMs);
    this.#connections = new RedisConnections({
      source: resolved.source,
      timeoutMs: resolved.commandTimeoutMs,
      onError: (error) => this.#reportError(error),
    });
    const redis = () => this.#connections.producer;
    this.#queueNames = new QueueNameCache(() => queueNamesUnder(redis(), this.#prefix));
    this.#cancellations = new Cancellations({
      prefix: this.#prefix,
      retentionMs: resolved.cancelledRetentionMs,
      redis,
    });
    this.#schedulers = new JobSchedulers({
      queue: (name) => this.#queue(name),
      jobNames: () => this.#jobNamesInScope(),
      redis,
    });
  }

  attach(runtime: JobRuntime): void {
    this.#runtime = runtime;
  }

  async enqueue(requests: ReadonlyArray<EnqueueRequest>): Promise<EnqueueResult[]> {
    // #call's steps, inlined: this is the hot path.
    const connections = this.#connections;
    const connecting = connections.ready();
    if (connecting) await connecting;
    connections.callStarted();
    try {
      return requests.length === 1 ? [await this.#addOne(requests[0]!)] : await this.#addMany(requests);
    } catch (error) {
      // Whether the jobs may be stored: the caller retries safely only on "no" (or with a key).
      throw toUnavailable(error, storedOutcomeOf(error));
    } finally {
      connections.callEnded();
    }
  }

  async get(id: string): Promise<JobSnapshot | undefined> {
    const ref = parseJobId(id);
    if (!ref) return undefined;
    return this.#read(async () => {
      if (!(await this.#hasQueue(ref.queue))) return undefined;
      const queue = this.#queue(ref.queue);
      // State first, then the job: a job read after its state is at least as far along, so a
      // completed state always comes with its result. One that moved on meanwhile is read again.
      let state = await queue.getJobState(ref.jobId);
      const [job, view] = await Promise.all([
        queue.getJob(ref.jobId),
        readStepView(this.#connections.producer, queue, ref.jobId),
      ]);
      if (!job) return this.#cancellations.record(ref);
      if (job.finishedOn && state !== "completed" && state !== "failed") state = await job.getState();
      return withStepView(toJobSnapshot(ref.queue, job, state), view);
    });
  }

  async cancel(id: string): Promise<boolean> {
    const ref = parseJobId(id);
    if (!ref) return false;
    return this.#write(
      async () =>
        (await this.#hasQueue(ref.queue)) && this.#cancellations.cancel(this.#queue(ref.queue), ref),
    );
  }

  async retry(id: string): Promise<boolean> {
    const ref = parseJobId(id);
    if (!ref) return false;
    return this.#write(async () => {
      if (!(await this.#hasQueue(ref.queue))) return false;
      const job = await this.#queue(ref.queue).getJob(ref.jobId);
      if (!job || isCancelledJob(job) || (await job.getState()) !== "failed") return false;
      try {
        await job.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
        return true;
      } catch (error) {
        if (isConnectionFailure(error)) throw error;
        return false; // no longer failed: retried or removed meanwhile
      }
    });
  }

  async listFailed(options: { job?: string; limit: number }): Promise<JobSnapshot[]> {
    return this.#read(async () => {
      const names = await this.#namesOf(options);
      const lists = await Promise.all(names.map((name) => this.#failedOf(name, options.limit)));
      return lists
        .flat()
        .sort((a, b) => (b.finishedAt?.getTime() ?? 0) - (a.finishedAt?.getTime() ?? 0))
        .slice(0, options.limit);
    });
  }

  /** Without `job`: the jobs in scope (each job is its own queue, found by its name). */
  counts(options: { job?: string }): Promise<JobCounts> {
    return this.#read(async () => {
      const names = await this.#namesOf(options);
      return addCounts(
        await Promise.all(names.map((name) => countQueue(this.#queue(name), this.#cancellations))),
      );
    });
  }

  list(options: { state: JobState; job?: string; limit: number; cursor?: string }): Promise<JobPage> {
    const context = {
      redis: this.#connections.producer,
      prefix: this.#prefix,
      cancellations: this.#cancellations,
    };
    return this.#read(async () => {
      const queues = (await this.#namesOf(options)).map((name) => this.#queue(name));
      return listPage(queues, { ...options, job: options.job, cursor: options.cursor }, context);
    });
  }

  async upsertSchedule(entry: ScheduleEntry, options: { declared: boolean }): Promise<void> {
    // Core checked that the job is registered.
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

  work(options: Required<WorkerOptions>): BullmqWorkerRunner {
    const worker = new BullmqWorkerRunner({
      runtime: this.#runtime,
      prefix: this.#prefix,
      concurrency: options.concurrency,
      lockDurationMs: this.#lockDurationMs,
      stalledIntervalMs: this.#stalledIntervalMs,
      connections: this.#connections.forWorker(),
      readyTimeoutMs: this.#readyTimeoutMs,
      cancellations: this.#cancellations,
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
    const job = await this.#queue(name).add(name, request.payload, opts);
    return {
      id: formatJobId(name, job.id!),
      deduplicated: opts.jobId !== undefined && job.id !== opts.jobId,
    };
  }

  /** Adds each job's requests with one addBulk (one queue per job), in order. */
  async #addMany(requests: ReadonlyArray<EnqueueRequest>): Promise<EnqueueResult[]> {
    const first = requests[0]!.job.name;
    // enqueueMany has one job: the usual batch is one addBulk, without grouping.
    if (requests.every((request) => request.job.name === first)) return this.#addBulk(first, requests);
    const groups = new Map<string, EnqueueRequest[]>();
    for (const request of requests) {
      const group = groups.get(request.job.name);
      if (group) group.push(request);
      else groups.set(request.job.name, [request]);
    }
    const byRequest = new Map<EnqueueRequest, EnqueueResult>();
    let sent = false;
    for (const [name, group] of groups) {
      let results: EnqueueResult[];
      try {
        results = await this.#addBulk(name, group);
      } catch (error) {
        // An earlier group was stored: the batch is partly written whatever this one did.
        throw sent ? toUnavailable(error, "unknown") : error;
      }
      sent = true;
      for (const [index, request] of group.entries()) byRequest.set(request, results[index]!);
    }
    return requests.map((request) => byRequest.get(request)!);
  }

  async #addBulk(name: string, requests: ReadonlyArray<EnqueueRequest>): Promise<EnqueueResult[]> {
    const entries = requests.map((request) => ({
      name,
      data: request.payload,
      opts: this.#enqueueOptions.of(request),
    }));
    const jobs = await this.#queue(name).addBulk(entries);
    return jobs.map((job, index) => {
      const proposed = entries[index]!.opts.jobId;
      return { id: formatJobId(name, job.id!), deduplicated: proposed !== undefined && job.id !== proposed };
    });
  }

  /**
   * The jobs a call that names none covers: this client's jobs; for a client with none (an operator's
   * client: the CLI, the dashboard), every job with a queue under the prefix, as found at most 30 s ago.
   */
  async #jobNamesInScope(): Promise<string[]> {
    if (this.#runtime.jobs.size > 0) return [...this.#runtime.jobs.keys()];
    return this.#queueNames.names();
  }

  /** The BullMQ queue of a job, created on first use and shared; a queue whose setup failed is dropped. */
  #queue(name: string): Queue {
    let queue = this.#queues.get(name);
    if (!queue) {
      const created = new Queue(name, {
        connection: this.#connections.producer,
        prefix: this.#prefix,
        // Reading a job of another client must not create queue metadata in Redis.
        skipMetasUpdate: !this.#runtime.jobs.has(name),
        // Cron schedules fire at core's times (cron-repeat.ts).
        settings: { repeatStrategy: cronRepeatStrategy },
      });
      created.on("error", (error) => this.#reportError(error));
      created.waitUntilReady().catch(() => {
        if (this.#queues.get(name) !== created) return;
        this.#queues.delete(name);
        created.close().catch(() => {});
      });
      this.#queues.set(name, created);
      queue = created;
    }
    return queue;
  }

  async #failedOf(name: string, limit: number): Promise<JobSnapshot[]> {
    const queue = this.#queue(name);
    const found: JobSnapshot[] = [];
    const page = Math.max(limit, 50);
    for (let start = 0; found.length < limit; start += page) {
      const jobs = await queue.getFailed(start, start + page - 1);
      for (const job of jobs) {
        if (job && !isCancelledJob(job)) found.push(toJobSnapshot(name, job, "failed"));
      }
      if (jobs.length < page) break;
    }
    return found.slice(0, limit);
  }

  /**
   * The job names a call covers: those of #jobNamesInScope, or `job` when it #hasQueue (a name
   * without one has no jobs).
   */
  async #namesOf(options: { job?: string }): Promise<string[]> {
    const { job } = options;
    if (job === undefined) return this.#jobNamesInScope();
    return (await this.#hasQueue(job)) ? [job] : [];
  }

  /**
   * True when `name` is a job registered here or has a queue under the prefix (one EXISTS, once per
   * name: its Queue is then kept). Only such names get a Queue, so ids and filters naming arbitrary
   * jobs (a dashboard's `?job=`) cannot fill #queues.
   */
  async #hasQueue(name: string): Promise<boolean> {
    if (this.#runtime.jobs.has(name) || this.#queues.has(name)) return true;
    return queueExists(this.#connections.producer, this.#prefix, name);
  }

  /** Runs a call that writes nothing (else BackendUnavailableError, stored "no"). */
  #read<T>(body: () => Promise<T>): Promise<T> {
    return this.#call(body, false);
  }

  /** Runs a call that writes: a connection failure says whether it was sent (stored "no" or "unknown"). */
  #write<T>(body: () => Promise<T>): Promise<T> {
    return this.#call(body, true);
  }

  /** Runs a client call once Redis is connected (else BackendUnavailableError after commandTimeout). */
  async #call<T>(body: () => Promise<T>, writes: boolean): Promise<T> {
    const connecting = this.#connections.ready();
    if (connecting) await connecting;
    this.#connections.callStarted();
    try {
      return await body();
    } catch (error) {
      throw toUnavailable(error, writes ? storedOutcomeOf(error) : "no");
    } finally {
      this.#connections.callEnded();
    }
  }

  /** Connection errors repeat while Redis is down: each distinct message is logged at most every 30 s. */
  #reportError(error: Error): void {
    const now = Date.now();
    if (this.#lastError?.message === error.message && now - this.#lastError.at < 30_000) return;
    this.#lastError = { message: error.message, at: now };
    this.#runtime.logger.warn(`bullmq: ${error.message}`, { prefix: this.#prefix });
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
