import { randomUUID } from "node:crypto";
import {
  type Backend,
  ConfigError,
  type EnqueueResult,
  JOB_CANCELLED_ERROR_CODE,
  type JobDefinition,
  type JobSnapshot,
  type ScheduleEntry,
  type WorkerOptions,
} from "@switchyard/core";
import type { EnqueueRequest, JobRuntime } from "@switchyard/core/adapter";
import { ErrorCode, type JobsOptions, Queue, type RepeatOptions } from "bullmq";
import { bullmqCapabilities } from "./bullmq-capabilities.js";
import type { BullmqBackendOptions } from "./bullmq-options.js";
import { type BullmqWorker, BullmqWorkerImpl, SWITCHYARD_BACKOFF } from "./bullmq-worker.js";
import { formatJobId, type JobRef, parseJobId } from "./job-ref.js";
import { isCancelledJob, snapshotOf } from "./job-snapshot.js";
import { RedisConnections } from "./redis-connections.js";
import { resolveBullmqOptions } from "./resolve-options.js";
import { schedulePayloadOf, scheduleTemplateData } from "./schedule-payload.js";
import { readStepView, withStepView } from "./step-view.js";
import { isConnectionFailure, storedOutcomeOf, toUnavailable } from "./unavailable.js";

/** How long close() waits for each BullMQ queue to close (they share the producer; nothing to quit). */
const QUEUE_CLOSE_TIMEOUT_MS = 2_000;

/**
 * The BullMQ backend: jobs are stored in Redis by BullMQ and run by `jobs.work()`. Each job is its own
 * BullMQ queue, named after the job. Connections are created on first use and closed by `close()`.
 */
export function bullmq(
  options: BullmqBackendOptions = {},
): Backend & { work(options: Required<WorkerOptions>): BullmqWorker } {
  return new BullmqBackend(options);
}

class BullmqBackend implements Backend {
  readonly capabilities = bullmqCapabilities;
  readonly #prefix: string;
  readonly #defaultTtlMs: number;
  readonly #lockDurationMs: number;
  readonly #stalledIntervalMs: number;
  readonly #cancelledRetentionMs: number;
  readonly #readyTimeoutMs: number | undefined;
  readonly #keep: Pick<JobsOptions, "removeOnComplete" | "removeOnFail">;
  readonly #connections: RedisConnections;
  readonly #queues = new Map<string, Queue>();
  /** Each job's BullMQ options (attempts, backoff, retention), built once. */
  readonly #jobOptions = new WeakMap<JobDefinition, JobsOptions>();
  readonly #workers = new Set<BullmqWorkerImpl>();
  #runtime?: JobRuntime;
  #closed = false;
  #lastError?: { message: string; at: number };

  constructor(options: BullmqBackendOptions) {
    const resolved = resolveBullmqOptions(options);
    this.#prefix = resolved.prefix;
    this.#defaultTtlMs = resolved.defaultIdempotencyTtlMs;
    this.#lockDurationMs = resolved.lockDurationMs;
    this.#stalledIntervalMs = resolved.stalledIntervalMs;
    this.#cancelledRetentionMs = resolved.cancelledRetentionMs;
    this.#readyTimeoutMs = resolved.readyTimeoutMs;
    this.#keep = resolved.keep;
    this.#connections = new RedisConnections({
      source: resolved.source,
      timeoutMs: resolved.commandTimeoutMs,
      onError: (error) => this.#reportError(error),
    });
  }

  attach(runtime: JobRuntime): void {
    if (this.#runtime) throw new ConfigError("a bullmq backend serves one client; call bullmq() for each");
    this.#runtime = runtime;
  }

  async enqueue(requests: ReadonlyArray<EnqueueRequest>): Promise<EnqueueResult[]> {
    // #call's steps, inlined: this is the hot path.
    this.#assertOpen();
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
      const queue = this.#queue(ref.queue);
      // State first, then the job: a job read after its state is at least as far along, so a
      // completed state always comes with its result. One that moved on meanwhile is read again.
      let state = await queue.getJobState(ref.jobId);
      const [job, view] = await Promise.all([
        queue.getJob(ref.jobId),
        readStepView(this.#connections.producer, queue, ref.jobId),
      ]);
      if (!job) return this.#cancelledRecord(ref);
      if (job.finishedOn && state !== "completed" && state !== "failed") state = await job.getState();
      return withStepView(snapshotOf(ref.queue, job, state), view);
    });
  }

  async cancel(id: string): Promise<boolean> {
    const ref = parseJobId(id);
    if (!ref) return false;
    return this.#write(async () => {
      const queue = this.#queue(ref.queue);
      const job = await queue.getJob(ref.jobId);
      if (!job) return false;
      const state = await job.getState();
      if (state === "active") return this.#cancelRunning(ref);
      if (state === "completed" || state === "failed" || state === "unknown") return false;
      // BullMQ has no cancelled state: the job is removed, and a record of it kept for get(id).
      const key = this.#cancelKey(ref.queue, ref.jobId);
      const { runAt: _dueAt, ...rest } = snapshotOf(ref.queue, job, state);
      const record: JobSnapshot = {
        ...rest,
        state: "cancelled",
        error: { message: `job ${id} was cancelled`, code: JOB_CANCELLED_ERROR_CODE },
        finishedAt: new Date(),
      };
      const redis = this.#connections.producer;
      await redis.set(key, JSON.stringify(record), "PX", this.#cancelledRetentionMs);
      let removed: number;
      try {
        removed = await queue.remove(ref.jobId);
      } catch (error) {
        await redis.del(key);
        // The pending next run of a schedule: BullMQ removes it only with its schedule.
        if ((error as { code?: unknown }).code === ErrorCode.JobBelongsToJobScheduler) return false;
        throw error;
      }
      if (removed === 1) return true;
      // It started meanwhile: a running job is locked, and is cancelled as a running one.
      await redis.del(key);
      return this.#cancelRunning(ref);
    });
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
        if (isConnectionFailure(error)) throw error;
        return false; // no longer failed: retried or removed meanwhile
      }
    });
  }

  async listFailed(options: { job?: string; limit: number }): Promise<JobSnapshot[]> {
    const names = options.job === undefined ? [...this.#requireRuntime().jobs.keys()] : [options.job];
    return this.#read(async () => {
      const lists = await Promise.all(names.map((name) => this.#failedOf(name, options.limit)));
      return lists
        .flat()
        .sort((a, b) => (b.finishedAt?.getTime() ?? 0) - (a.finishedAt?.getTime() ?? 0))
        .slice(0, options.limit);
    });
  }

  async upsertSchedule(entry: ScheduleEntry): Promise<void> {
    const runtime = this.#requireRuntime();
    const job = runtime.jobs.get(entry.job);
    if (!job) throw new ConfigError(`schedule "${entry.id}": job "${entry.job}" is not registered`);
    const repeat: RepeatOptions =
      entry.cron !== undefined
        ? { pattern: entry.cron, tz: entry.timezone ?? "UTC" }
        : // First run one period from now (not at once, BullMQ's default for `every`).
          { every: entry.everyMs!, startDate: Date.now() + entry.everyMs! };
    await this.#write(async () => {
      // A schedule id names one schedule across jobs: upserting it for this job moves it here.
      await Promise.all(
        [...runtime.jobs.keys()]
          .filter((name) => name !== entry.job)
          .map((name) => this.#queue(name).removeJobScheduler(entry.id)),
      );
      await this.#queue(entry.job).upsertJobScheduler(entry.id, repeat, {
        name: entry.job,
        data: scheduleTemplateData(entry.payload),
        opts: this.#optionsOf(job),
      });
    });
  }

  async removeSchedule(id: string): Promise<boolean> {
    const names = [...this.#requireRuntime().jobs.keys()];
    return this.#write(async () => {
      const removed = await Promise.all(names.map((name) => this.#queue(name).removeJobScheduler(id)));
      return removed.some(Boolean);
    });
  }

  async listSchedules(): Promise<ScheduleEntry[]> {
    const names = [...this.#requireRuntime().jobs.keys()];
    return this.#read(async () => {
      const perJob = await Promise.all(
        names.map(async (name) => {
          const schedulers = await this.#queue(name).getJobSchedulers(0, -1, true);
          return schedulers.map((scheduler) => {
            const template = scheduler.template;
            const entry: ScheduleEntry = {
              id: scheduler.key,
              job: name,
              payload: template && "data" in template ? schedulePayloadOf(template.data) : {},
            };
            if (scheduler.pattern) entry.cron = scheduler.pattern;
            if (scheduler.tz) entry.timezone = scheduler.tz;
            if (scheduler.every) entry.everyMs = Number(scheduler.every);
            if (scheduler.next) entry.nextRunAt = new Date(Number(scheduler.next));
            return entry;
          });
        }),
      );
      return perJob.flat();
    });
  }

  work(options: Required<WorkerOptions>): BullmqWorker {
    this.#assertOpen();
    const worker = new BullmqWorkerImpl({
      runtime: this.#requireRuntime(),
      prefix: this.#prefix,
      concurrency: options.concurrency,
      lockDurationMs: this.#lockDurationMs,
      stalledIntervalMs: this.#stalledIntervalMs,
      connections: this.#connections.forWorker(),
      readyTimeoutMs: this.#readyTimeoutMs,
      cancelChannel: this.#cancelChannel,
      cancelKey: (queue, jobId) => this.#cancelKey(queue, jobId),
      applyJobConcurrency: async (job) => {
        const queue = this.#queue(job.name);
        if (job.concurrency === undefined) await queue.removeGlobalConcurrency();
        else await queue.setGlobalConcurrency(job.concurrency);
      },
      onError: (error) => this.#reportError(error),
      onClosed: (closed) => this.#workers.delete(closed),
    });
    this.#workers.add(worker);
    return worker;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
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
    const opts = this.#enqueueOptions(request);
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
      opts: this.#enqueueOptions(request),
    }));
    const jobs = await this.#queue(name).addBulk(entries);
    return jobs.map((job, index) => {
      const proposed = entries[index]!.opts.jobId;
      return { id: formatJobId(name, job.id!), deduplicated: proposed !== undefined && job.id !== proposed };
    });
  }

  /** BullMQ options of one enqueue: the job's own, plus delay, priority and deduplication. */
  #enqueueOptions(request: EnqueueRequest): JobsOptions {
    const base = this.#optionsOf(request.job);
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

  #optionsOf(job: JobDefinition): JobsOptions {
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

  /** The BullMQ queue of a job, created on first use and shared; a queue whose setup failed is dropped. */
  #queue(name: string): Queue {
    let queue = this.#queues.get(name);
    if (!queue) {
      const created = new Queue(name, {
        connection: this.#connections.producer,
        prefix: this.#prefix,
        // Reading a job of another client must not create queue metadata in Redis.
        skipMetasUpdate: !this.#runtime?.jobs.has(name),
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
        if (job && !isCancelledJob(job)) found.push(snapshotOf(name, job, "failed"));
      }
      if (jobs.length < page) break;
    }
    return found.slice(0, limit);
  }

  async #cancelRunning(ref: JobRef): Promise<boolean> {
    // The mark catches a job whose worker died before the notice: it is checked when the job runs again.
    await this.#connections.producer
      .multi()
      .set(this.#cancelKey(ref.queue, ref.jobId), "running", "PX", this.#cancelledRetentionMs)
      .publish(this.#cancelChannel, formatJobId(ref.queue, ref.jobId))
      .exec();
    return true;
  }

  async #cancelledRecord(ref: JobRef): Promise<JobSnapshot | undefined> {
    const stored = await this.#connections.producer.get(this.#cancelKey(ref.queue, ref.jobId));
    if (!stored?.startsWith("{")) return undefined;
    const record = JSON.parse(stored) as JobSnapshot & Record<"createdAt" | "finishedAt", string | undefined>;
    return {
      ...record,
      createdAt: record.createdAt === undefined ? undefined : new Date(record.createdAt),
      finishedAt: record.finishedAt === undefined ? undefined : new Date(record.finishedAt),
    };
  }

  #cancelKey(queue: string, jobId: string): string {
    return `${this.#prefix}:${queue}:${jobId}:cancelled`;
  }

  get #cancelChannel(): string {
    return `${this.#prefix}:switchyard:cancel`;
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
    this.#assertOpen();
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
    this.#runtime?.logger.warn(`bullmq: ${error.message}`, { prefix: this.#prefix });
  }

  #requireRuntime(): JobRuntime {
    if (!this.#runtime) throw new ConfigError("the bullmq backend is not attached to a client");
    return this.#runtime;
  }

  #assertOpen(): void {
    if (this.#closed) throw new ConfigError("this bullmq backend is closed");
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
