import type { StepAttemptOutcome } from "../attempt-outcome.js";
import type { Backend, BackendWorker, EnqueueRequest, JobRuntime } from "../backend.js";
import { type Capabilities, featureTable } from "../capabilities.js";
import { type Duration, toMilliseconds } from "../duration.js";
import { ConfigError } from "../errors/config-error.js";
import { JobCancelledError } from "../errors/job-cancelled-error.js";
import type {
  EnqueueResult,
  JobCounts,
  JobPage,
  JobSnapshot,
  JobState,
  ScheduleEntry,
  StopOptions,
  Worker,
  WorkerOptions,
} from "../interfaces.js";
import { type Clock, systemClock } from "./clock.js";
import { jsonCopy, type MemoryJob, toJobSnapshot } from "./memory-job.js";
import { MemorySchedules } from "./memory-schedules.js";
import { PriorityQueue } from "./priority-queue.js";

export interface MemoryBackendOptions {
  /** The time source for delays, backoff, idempotency ttl and schedules. Default: the system clock. */
  clock?: Clock;
  /** How long an idempotency key is kept when neither the job nor the enqueue gives a ttl. Default `"24h"`. */
  defaultIdempotencyTtl?: Duration;
  /** How long after a worker crash its running jobs are run again (a real backend's lock expiry). Default `"30s"`. */
  stalledAfter?: Duration;
}

/** A memory worker can also be crashed, to test what happens when a process dies mid-job. */
export interface MemoryWorker extends Worker {
  /** Abandons running jobs as a killed process would: they run again after `stalledAfter`. */
  crash(): void;
}

export const STALLED_ERROR_CODE = "SWITCHYARD_STALLED";

const DEFAULT_IDEMPOTENCY_TTL_MS = 86_400_000;
/** The memory backend keeps every job until the process ends, so it counts and lists every state. */
const MEMORY_STATES: ReadonlyArray<JobState> = [
  "waiting",
  "delayed",
  "active",
  "completed",
  "failed",
  "cancelled",
];

export const memoryCapabilities: Capabilities = {
  backend: "memory",
  execution: "embedded",
  features: featureTable({
    "enqueue.delay": "native",
    "enqueue.runAt": "native",
    "enqueue.priority": "native",
    "enqueue.bulk": "native",
    "enqueue.concurrencyKey": "native",
    "retry.backoff.fixed": "native",
    "retry.backoff.exponential": "native",
    "retry.backoff.max": "native",
    "retry.jitter": "native",
    "retry.retryAfter": "native",
    "retry.permanentError": "native",
    idempotency: "native",
    "idempotency.ttl": "native",
    "schedule.cron": "native",
    "schedule.every": "native",
    "schedule.timezone": "native",
    "schedule.seconds": "native",
    "schedule.imperative": "native",
    "job.concurrency": "native",
    "job.timeout": "native",
    "jobs.get": "native",
    "jobs.cancel": "native",
    "jobs.cancelRunning": "native",
    "jobs.retry": "native",
    "jobs.listFailed": "native",
    "jobs.counts": "native",
    "jobs.list": "native",
    "jobs.retryFailed": "emulated",
    progress: "native",
    results: "native",
    "worker.gracefulStop": "native",
    "worker.crashRecovery": "native",
    "steps.run": "native",
    "steps.sleep": "native",
    "steps.invoke": "native",
  }),
  idempotency: { window: "ttl", defaultTtlMs: DEFAULT_IDEMPOTENCY_TTL_MS, clearedOnFailure: false },
  jobStates: { counted: MEMORY_STATES, listed: MEMORY_STATES },
  notes: {
    "jobs.retryFailed": "core lists the failed jobs and retries each",
    "worker.crashRecovery": "a crashed worker's running jobs run again after stalledAfter (default 30 s)",
  },
};

/**
 * The in-process backend: the embedded default and the reference implementation of the contract.
 * Nothing survives the process. Jobs run in workers started with `jobs.work()`.
 */
export function memory(options: MemoryBackendOptions = {}): Backend {
  return new MemoryBackend(options);
}

class MemoryBackend implements Backend {
  readonly capabilities = memoryCapabilities;
  readonly #clock: Clock;
  readonly #defaultTtlMs: number;
  readonly #stalledAfterMs: number;
  #runtime?: JobRuntime;
  readonly #jobs = new Map<string, MemoryJob>();
  readonly #ready = new PriorityQueue<MemoryJob>(
    (a, b) => a.priority < b.priority || (a.priority === b.priority && a.seq < b.seq),
  );
  readonly #delayed = new PriorityQueue<MemoryJob>(
    (a, b) => a.runAt! < b.runAt! || (a.runAt === b.runAt && a.seq < b.seq),
  );
  #delayTimer?: { at: number; cancel(): void };
  /** Jobs that reached the head of the queue while their concurrency bucket was full, by bucket. */
  readonly #blocked = new Map<string, MemoryJob[]>();
  readonly #running = new Map<string, number>();
  readonly #idempotency = new Map<string, { id: string; expiresAt: number }>();
  readonly #workers = new Set<MemoryWorkerRunner>();
  readonly #schedules: MemorySchedules;
  #seq = 0;
  #closed = false;

  constructor(options: MemoryBackendOptions) {
    this.#clock = options.clock ?? systemClock;
    this.#defaultTtlMs =
      options.defaultIdempotencyTtl === undefined
        ? DEFAULT_IDEMPOTENCY_TTL_MS
        : toMilliseconds(options.defaultIdempotencyTtl, "memory(): defaultIdempotencyTtl");
    this.#stalledAfterMs = toMilliseconds(options.stalledAfter ?? "30s", "memory(): stalledAfter");
    this.#schedules = new MemorySchedules(this.#clock, (entry) => this.#fire(entry));
  }

  attach(runtime: JobRuntime): void {
    if (this.#runtime) throw new ConfigError("a memory backend serves one client; call memory() for each");
    this.#runtime = runtime;
  }

  async enqueue(requests: ReadonlyArray<EnqueueRequest>): Promise<EnqueueResult[]> {
    this.#assertOpen();
    const results = requests.map((request) => this.#add(request));
    this.#pump();
    return results;
  }

  async get(id: string): Promise<JobSnapshot | undefined> {
    const job = this.#jobs.get(id);
    return job && toJobSnapshot(job);
  }

  async cancel(id: string): Promise<boolean> {
    const job = this.#jobs.get(id);
    if (!job) return false;
    const reason = new JobCancelledError(`job ${id} was cancelled`);
    if (job.state === "active") {
      if (job.abort) job.abort(reason);
      else {
        // Abandoned by a crashed worker and waiting for stall recovery: nothing runs it now.
        this.#releaseSlot(job);
        this.#cancelled(job, reason);
      }
      return true;
    }
    if (job.state !== "waiting" && job.state !== "delayed") return false;
    // Left in the heaps; #pump and #promoteDue skip jobs that are no longer waiting or delayed.
    this.#cancelled(job, reason);
    return true;
  }

  async retry(id: string): Promise<boolean> {
    const job = this.#jobs.get(id);
    if (job?.state !== "failed") return false;
    job.attempts = 0;
    job.error = undefined;
    job.finishedAt = undefined;
    job.runAt = undefined;
    this.#makeReady(job);
    this.#pump();
    return true;
  }

  async listFailed(options: { job?: string; limit: number }): Promise<JobSnapshot[]> {
    const failed: MemoryJob[] = [];
    for (const job of this.#jobs.values()) {
      if (job.state === "failed" && (options.job === undefined || job.name === options.job)) failed.push(job);
    }
    failed.sort((a, b) => (b.finishedAt ?? 0) - (a.finishedAt ?? 0));
    return failed.slice(0, options.limit).map(toJobSnapshot);
  }

  async counts(options: { job?: string }): Promise<JobCounts> {
    const counts: JobCounts = {};
    for (const job of this.#jobs.values()) {
      if (options.job === undefined || job.name === options.job)
        counts[job.state] = (counts[job.state] ?? 0) + 1;
    }
    return counts;
  }

  /** Newest first by enqueue order; the cursor is the enqueue sequence number of the page's last job. */
  async list(options: { state: JobState; job?: string; limit: number; cursor?: string }): Promise<JobPage> {
    const after = options.cursor === undefined ? Number.POSITIVE_INFINITY : Number(options.cursor);
    if (options.cursor !== undefined && !Number.isInteger(after)) {
      throw new ConfigError(`list(): cursor "${options.cursor}" is not a cursor of the memory backend`);
    }
    const matching: MemoryJob[] = [];
    for (const job of this.#jobs.values()) {
      if (job.state !== options.state || job.seq >= after) continue;
      if (options.job === undefined || job.name === options.job) matching.push(job);
    }
    matching.sort((a, b) => b.seq - a.seq);
    const page = matching.slice(0, options.limit);
    const more = matching.length > options.limit;
    return { jobs: page.map(toJobSnapshot), cursor: more ? String(page.at(-1)!.seq) : undefined };
  }

  async upsertSchedule(entry: ScheduleEntry, options: { declared: boolean }): Promise<void> {
    this.#schedules.upsert({ ...entry, declared: options.declared });
  }

  async removeSchedule(id: string): Promise<boolean> {
    return this.#schedules.remove(id);
  }

  async listSchedules(): Promise<ScheduleEntry[]> {
    return this.#schedules.list();
  }

  work(options: Required<WorkerOptions>): MemoryWorkerRunner {
    this.#assertOpen();
    const worker = new MemoryWorkerRunner(this, options.concurrency);
    this.#workers.add(worker);
    this.#schedules.setActive(true);
    this.#pump();
    return worker;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const worker of this.#workers) await worker.stop({ graceful: false });
    this.#schedules.setActive(false);
    this.#delayTimer?.cancel();
  }

  // ---- internal: called by workers ----

  /** Removes a stopped or crashed worker; its abandoned jobs go back to the queue now or after the stall delay. */
  detach(worker: MemoryWorkerRunner, abandoned: ReadonlyArray<MemoryJob>, crashed: boolean): void {
    this.#workers.delete(worker);
    if (this.#workers.size === 0) this.#schedules.setActive(false);
    for (const job of abandoned) {
      job.run++;
      job.abort?.(new Error(crashed ? "worker crashed" : "worker stopped"));
      job.abort = undefined;
      if (crashed) this.#clock.setTimer(() => this.#recoverStalled(job), this.#stalledAfterMs);
      else this.#recoverStalled(job);
    }
  }

  // ---- internal ----

  #add(request: EnqueueRequest): EnqueueResult {
    const now = this.#clock.now();
    const { job } = request;
    const scopedKey =
      request.idempotencyKey === undefined ? undefined : `${job.name}\u0000${request.idempotencyKey}`;
    if (scopedKey !== undefined) {
      const held = this.#idempotency.get(scopedKey);
      if (held && held.expiresAt > now) return { id: held.id, deduplicated: true };
    }
    const seq = ++this.#seq;
    const id = `mem-${seq}`;
    const stored: MemoryJob = {
      id,
      name: job.name,
      payload: request.payload, // core's JSON copy, checked at enqueue
      state: "waiting",
      attempts: 0,
      maxAttempts: job.retry.maxAttempts,
      priority: request.priority ?? 0,
      seq,
      createdAt: now,
      limitKey:
        request.concurrencyKey === undefined ? job.name : `${job.name}\u0000${request.concurrencyKey}`,
      run: 0,
      steps: new Map(),
      traceContext: request.traceContext,
    };
    this.#jobs.set(id, stored);
    if (scopedKey !== undefined) {
      this.#idempotency.set(scopedKey, {
        id,
        expiresAt: now + (request.idempotencyTtlMs ?? this.#defaultTtlMs),
      });
    }
    // runAt is wall-clock time; the delay it implies is applied on this backend's clock (which may be a manual one).
    const delayMs = request.runAt ? request.runAt.getTime() - Date.now() : 0;
    if (delayMs > 0) this.#delay(stored, now + delayMs);
    else this.#makeReady(stored);
    return { id, deduplicated: false };
  }

  #makeReady(job: MemoryJob): void {
    job.state = "waiting";
    this.#ready.push(job);
  }

  #delay(job: MemoryJob, at: number): void {
    job.state = "delayed";
    job.runAt = at;
    this.#delayed.push(job);
    if (!this.#delayTimer || at < this.#delayTimer.at) this.#armDelayTimer(at);
  }

  #armDelayTimer(at: number): void {
    this.#delayTimer?.cancel();
    const timer = this.#clock.setTimer(() => {
      this.#delayTimer = undefined;
      this.#promoteDue();
    }, at - this.#clock.now());
    this.#delayTimer = { at, cancel: () => timer.cancel() };
  }

  /** Moves delayed jobs that are due to the ready queue, then re-arms the timer for the next one. */
  #promoteDue(): void {
    const now = this.#clock.now();
    for (let next = this.#delayed.peek(); next && next.runAt! <= now; next = this.#delayed.peek()) {
      this.#delayed.pop();
      if (next.state === "delayed") this.#makeReady(next);
    }
    const next = this.#delayed.peek();
    if (next && !this.#closed) this.#armDelayTimer(next.runAt!);
    this.#pump();
  }

  /** Hands ready jobs to workers with free slots, respecting each job's concurrency limit. */
  #pump(): void {
    for (const worker of this.#workers) {
      while (worker.hasFreeSlot()) {
        const job = this.#ready.pop();
        if (!job) return;
        if (job.state !== "waiting") continue;
        const limit = this.#runtime?.jobs.get(job.name)?.concurrency;
        const running = this.#running.get(job.limitKey) ?? 0;
        if (limit !== undefined && running >= limit) {
          const blocked = this.#blocked.get(job.limitKey);
          if (blocked) blocked.push(job);
          else this.#blocked.set(job.limitKey, [job]);
          continue;
        }
        this.#start(job, worker);
      }
    }
  }

  #start(job: MemoryJob, worker: MemoryWorkerRunner): void {
    const runtime = this.#runtime;
    if (!runtime) throw new ConfigError("the memory backend is not attached to a client");
    job.state = "active";
    job.attempts++;
    job.runAt = undefined;
    const run = job.run;
    this.#running.set(job.limitKey, (this.#running.get(job.limitKey) ?? 0) + 1);
    worker.take(job);
    runtime
      .runAttempt(job.name, {
        id: job.id,
        payload: job.payload,
        attempt: job.attempts,
        maxAttempts: job.maxAttempts,
        traceContext: job.traceContext,
        registerAbort: (abort) => {
          job.abort = abort;
        },
        progress: async (value) => {
          if (job.run === run) job.progress = jsonCopy(value);
        },
        steps: {
          completed: job.steps,
          // A run abandoned by a crash stores nothing more, as a killed process would not.
          save: async (stepId, record) => {
            if (job.run === run) job.steps.set(stepId, structuredClone(record));
          },
        },
      })
      .then((outcome) => {
        if (job.run !== run) return; // abandoned by a crash or hard stop; recovery owns the job now
        worker.release(job);
        this.#settle(job, outcome);
      });
  }

  #settle(job: MemoryJob, outcome: StepAttemptOutcome): void {
    job.abort = undefined;
    this.#releaseSlot(job);
    switch (outcome.type) {
      case "suspended":
        job.attempts--; // a suspension is not an attempt
        this.#delay(job, this.#clock.now() + Math.max(0, outcome.until.getTime() - Date.now()));
        break;
      case "completed":
        job.result = outcome.result; // core's JSON copy of the handler's result
        job.error = undefined;
        this.#finish(job, "completed");
        break;
      case "retry":
        job.error = outcome.error;
        if (outcome.delayMs > 0) this.#delay(job, this.#clock.now() + outcome.delayMs);
        else this.#makeReady(job);
        break;
      case "failed":
        job.error = outcome.error;
        this.#finish(job, "failed");
        break;
      case "cancelled":
        job.error = outcome.error;
        this.#finish(job, "cancelled");
        break;
    }
    this.#pump();
  }

  /** A cancelled job's snapshot names the cancellation, never an earlier failure (one rule on every backend). */
  #cancelled(job: MemoryJob, reason: JobCancelledError): void {
    job.error = { message: reason.message, code: reason.code };
    this.#finish(job, "cancelled");
  }

  #finish(job: MemoryJob, state: "completed" | "failed" | "cancelled"): void {
    job.state = state;
    job.finishedAt = this.#clock.now();
  }

  #releaseSlot(job: MemoryJob): void {
    const running = (this.#running.get(job.limitKey) ?? 1) - 1;
    if (running > 0) this.#running.set(job.limitKey, running);
    else this.#running.delete(job.limitKey);
    const blocked = this.#blocked.get(job.limitKey);
    const next = blocked?.shift();
    if (blocked && blocked.length === 0) this.#blocked.delete(job.limitKey);
    if (next && next.state === "waiting") this.#ready.push(next);
  }

  /** A run that no worker will finish: run it again, or fail it when it used its last attempt. */
  #recoverStalled(job: MemoryJob): void {
    if (job.state !== "active") return; // cancelled meanwhile
    job.abort = undefined;
    this.#releaseSlot(job);
    if (job.attempts >= job.maxAttempts) {
      job.error = { message: "the worker stopped during the last attempt", code: STALLED_ERROR_CODE };
      this.#finish(job, "failed");
    } else {
      this.#makeReady(job);
    }
    this.#pump();
  }

  #fire(entry: ScheduleEntry): void {
    const job = this.#runtime?.jobs.get(entry.job);
    if (!job || this.#closed) return;
    this.#add({ job, payload: entry.payload });
    this.#pump();
  }

  #assertOpen(): void {
    if (this.#closed) throw new ConfigError("this memory backend is closed");
  }

  /** For workers: lets a freed slot pull the next job. */
  pump(): void {
    this.#pump();
  }
}

/** The worker `work()` starts, behind core's wrapper (which gives the app a MemoryWorker). */
class MemoryWorkerRunner implements BackendWorker {
  readonly ready = Promise.resolve();
  readonly #backend: MemoryBackend;
  readonly #concurrency: number;
  readonly #active = new Set<MemoryJob>();
  #accepting = true;
  #detached = false;
  /** The pending graceful stop, shared by every caller; a hard stop settles it early. */
  #draining?: Promise<void>;
  #idle?: () => void;

  constructor(backend: MemoryBackend, concurrency: number) {
    this.#backend = backend;
    this.#concurrency = concurrency;
  }

  hasFreeSlot(): boolean {
    return this.#accepting && this.#active.size < this.#concurrency;
  }

  take(job: MemoryJob): void {
    this.#active.add(job);
  }

  release(job: MemoryJob): void {
    this.#active.delete(job);
    if (this.#active.size === 0) this.#idle?.();
  }

  /**
   * Graceful: takes no more jobs and resolves when the running ones end. Hard (also while a graceful
   * stop drains): abandons the running ones at once; they run again, as after a stopped process.
   */
  async stop(options: StopOptions = {}): Promise<void> {
    if (this.#detached) return;
    this.#accepting = false;
    if (!(options.graceful ?? true)) return this.#detach(false);
    this.#draining ??= new Promise<void>((resolve) => {
      this.#idle = resolve;
      if (this.#active.size === 0) resolve();
    }).then(() => this.#detach(false));
    return this.#draining;
  }

  crash(): void {
    if (this.#detached) return;
    this.#accepting = false;
    this.#detach(true);
  }

  #detach(crashed: boolean): void {
    if (this.#detached) return;
    this.#detached = true;
    this.#backend.detach(this, [...this.#active], crashed);
    this.#active.clear();
    this.#idle?.(); // a graceful stop still waiting ends with the hard one
  }
}
