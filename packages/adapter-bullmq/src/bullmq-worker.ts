import {
  JOB_CANCELLED_ERROR_CODE,
  JobCancelledError,
  type JobDefinition,
  type JobProgress,
  STALLED_ERROR_CODE,
  type StopOptions,
  type Worker,
} from "@switchyard/core";
import {
  type AttemptInput,
  type AttemptOutcome,
  backoffDelay,
  type JobRuntime,
  toMilliseconds,
} from "@switchyard/core/adapter";
import { Worker as BullmqQueueWorker, DelayedError, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { AttemptFailedError, AttemptRetryError } from "./attempt-errors.js";
import { ConcurrencyGate } from "./concurrency-gate.js";
import { formatJobId } from "./job-ref.js";
import { closeClient } from "./redis-connections.js";

/** The BullMQ backoff type of every Switchyard job: its delays come from the worker's backoff strategy. */
export const SWITCHYARD_BACKOFF = "switchyard";

/** How long a job a hard stop put back stays delayed if its worker dies before promoting it. */
const REQUEUE_DELAY_MS = 1_000;

/** A running Switchyard worker on BullMQ: one BullMQ worker per registered job. */
export interface BullmqWorker extends Worker {
  /** The BullMQ workers, one per job, for event listeners and metrics. Stop them with `stop()`, not directly. */
  readonly workers: ReadonlyArray<BullmqQueueWorker>;
  /**
   * Stops at once as a killed process would: BullMQ is closed without waiting, running handlers'
   * signals abort, and nothing is written for their jobs, so their locks expire and the stalled check
   * of another worker runs them again. For tests; a real crash needs no call.
   */
  crash(): Promise<void>;
}

/** What a worker needs from its backend. */
export interface WorkerSetup {
  runtime: JobRuntime;
  prefix: string;
  concurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  /** The connection shared by the BullMQ workers (BullMQ duplicates it for blocking reads). */
  connection: Redis;
  /** A fresh connection for the cancel-notice subscription. */
  subscriber(): Redis;
  /** Pub/sub channel of cancel notices (a Switchyard job id per message). */
  cancelChannel: string;
  /** The Redis key that marks a job as cancelled. */
  cancelKey(queue: string, jobId: string): string;
  /** Applies each job's `concurrency` as its queue's BullMQ global concurrency. */
  applyJobConcurrency(job: JobDefinition): Promise<void>;
  onError(error: Error): void;
  onClosed(worker: BullmqWorkerImpl): void;
}

/**
 * One attempt in this worker, and the input core runs it with. Its methods live on the prototype, so
 * an attempt allocates this object and nothing else of the adapter's (no AbortController: core makes
 * the handler's signal only if the handler reads it).
 */
class RunningAttempt implements AttemptInput {
  readonly id: string;
  readonly payload: unknown;
  readonly attempt: number;
  readonly maxAttempts: number;
  /** Why the attempt was aborted; the first reason wins. */
  reason: unknown;
  readonly #job: Job;
  #abort?: (reason: unknown) => void;

  constructor(id: string, job: Job, attempt: number, maxAttempts: number) {
    this.id = id;
    this.payload = job.data;
    this.attempt = attempt;
    this.maxAttempts = maxAttempts;
    this.#job = job;
  }

  /** Called by core when the attempt starts. */
  registerAbort(abort: (reason: unknown) => void): void {
    this.#abort = abort;
    if (this.reason !== undefined) abort(this.reason);
  }

  get progress(): (value: JobProgress) => Promise<void> {
    return progressOf(this.#job);
  }

  abort(reason: unknown): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    this.#abort?.(reason);
  }
}

function progressOf(job: Job): (value: JobProgress) => Promise<void> {
  return (value) => job.updateProgress(value);
}

/** Why a worker aborted a running attempt that was not cancelled. */
class WorkerStopped extends Error {
  constructor(readonly crashed: boolean) {
    super(crashed ? "the worker crashed" : "the worker stopped");
  }
}

export class BullmqWorkerImpl implements BullmqWorker {
  readonly ready: Promise<void>;
  readonly workers: BullmqQueueWorker[] = [];
  readonly #setup: WorkerSetup;
  readonly #gate?: ConcurrencyGate;
  /** Running attempts by Switchyard id: aborting one ends its attempt. */
  readonly #running = new Map<string, RunningAttempt>();
  readonly #subscriber: Redis;
  /** Jobs a hard stop put back (delayed), promoted once the BullMQ workers are closed. */
  readonly #requeued: Job[] = [];
  #stopping?: Promise<void>;

  constructor(setup: WorkerSetup) {
    this.#setup = setup;
    const { runtime, concurrency } = setup;
    const jobs = [...runtime.jobs.values()];
    const perQueue = jobs.map((job) => Math.min(concurrency, job.concurrency ?? concurrency));
    // One BullMQ worker per job; when together they could run more than `concurrency` attempts, a gate
    // shared by all of them keeps the worker's limit.
    if (perQueue.reduce((sum, n) => sum + n, 0) > concurrency) this.#gate = new ConcurrencyGate(concurrency);
    const backoffStrategy = (attemptsMade: number, _type?: string, error?: Error, job?: { name: string }) => {
      if (error instanceof AttemptRetryError) return error.delayMs;
      // Not one of ours (the processor always throws its own): fall back to the job's policy.
      const definition = job && runtime.jobs.get(job.name);
      return definition ? backoffDelay(definition.retry, attemptsMade) : -1;
    };
    for (const [index, job] of jobs.entries()) {
      const worker = new BullmqQueueWorker(
        job.name,
        (bullJob, token) => this.#process(job.name, bullJob, token),
        {
          connection: setup.connection,
          prefix: setup.prefix,
          concurrency: perQueue[index],
          lockDuration: setup.lockDurationMs,
          stalledInterval: setup.stalledIntervalMs,
          // Stalls consume attempts (see #process), so the attempt count bounds them, not this.
          maxStalledCount: job.retry.maxAttempts,
          settings: { backoffStrategy },
        },
      );
      worker.on("error", setup.onError);
      this.workers.push(worker);
    }
    this.#subscriber = setup.subscriber();
    this.#subscriber.on("message", (_channel: string, id: string) => {
      this.#running.get(id)?.abort(new JobCancelledError(`job ${id} was cancelled`));
    });
    this.ready = Promise.all([
      ...this.workers.map((worker) => worker.waitUntilReady()),
      this.#subscriber.subscribe(setup.cancelChannel),
      ...jobs.map((job) => setup.applyJobConcurrency(job)),
    ]).then(() => undefined);
    this.ready.catch(() => {}); // surfaced through `ready`
  }

  /** The BullMQ processor: runs one attempt through core and hands core's decision back to BullMQ. */
  async #process(queue: string, job: Job, token: string | undefined): Promise<unknown> {
    const id = formatJobId(queue, job.id!);
    const maxAttempts = job.opts.attempts || 1;
    const attempt = job.attemptsStarted;
    // A job started more often than it finished attempts was abandoned (a crash, a hard stop): it may
    // have been cancelled meanwhile, and it may have used its last attempt.
    if (attempt > job.attemptsMade + 1) {
      const cancelled = await this.#setup.connection.exists(this.#setup.cancelKey(queue, job.id!));
      if (cancelled) {
        throw new AttemptFailedError({ message: `job ${id} was cancelled`, code: JOB_CANCELLED_ERROR_CODE });
      }
      if (attempt > maxAttempts) {
        throw new AttemptFailedError({
          message: "the worker stopped during the last attempt",
          code: STALLED_ERROR_CODE,
        });
      }
    }
    const running = new RunningAttempt(id, job, attempt, maxAttempts);
    this.#running.set(id, running);
    let outcome: AttemptOutcome;
    try {
      outcome = this.#gate
        ? await this.#runGated(queue, running, this.#gate)
        : await this.#setup.runtime.runAttempt(queue, running);
    } finally {
      this.#running.delete(id);
    }
    const stopped = running.reason;
    if (stopped instanceof WorkerStopped && outcome.type !== "completed") {
      // Crashed: BullMQ is already closed and writes nothing; the lock expires and the job runs again.
      if (stopped.crashed) return undefined;
      // Stopped without grace: the job goes back to be run again. Not to `wait`: a closing BullMQ
      // worker still blocked on its queue would take it straight back. Delayed a moment instead (no
      // attempt counted; the one started counts when it runs again), then promoted once closed.
      await job.moveToDelayed(Date.now() + REQUEUE_DELAY_MS, token);
      this.#requeued.push(job);
      throw new DelayedError();
    }
    switch (outcome.type) {
      case "completed":
        return outcome.result;
      case "retry":
        throw new AttemptRetryError(outcome.error, outcome.delayMs, outcome.cause);
      default:
        throw new AttemptFailedError(outcome.error, outcome.cause);
    }
  }

  async #runGated(queue: string, running: RunningAttempt, gate: ConcurrencyGate): Promise<AttemptOutcome> {
    const wait = gate.acquire();
    if (wait) await wait;
    try {
      return await this.#setup.runtime.runAttempt(queue, running);
    } finally {
      gate.release();
    }
  }

  stop(options: StopOptions = {}): Promise<void> {
    this.#stopping ??= this.#stop(options);
    return this.#stopping;
  }

  crash(): Promise<void> {
    this.#stopping ??= (async () => {
      await Promise.all(this.workers.map((worker) => worker.close(true)));
      this.#abortAll(new WorkerStopped(true));
      this.#subscriber.disconnect();
      this.#setup.onClosed(this);
    })();
    return this.#stopping;
  }

  async #stop(options: StopOptions): Promise<void> {
    const graceful = options.graceful ?? true;
    if (!graceful) this.#abortAll(new WorkerStopped(false));
    const closed = Promise.all(this.workers.map((worker) => worker.close()));
    const timeoutMs =
      graceful && options.timeout !== undefined
        ? toMilliseconds(options.timeout, "stop(): timeout")
        : undefined;
    if (timeoutMs !== undefined) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const expired = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), timeoutMs);
      });
      const timedOut = await Promise.race([closed.then(() => false), expired]);
      clearTimeout(timer);
      if (timedOut) this.#abortAll(new WorkerStopped(false));
    }
    await closed;
    await Promise.all(this.#requeued.map((job) => job.promote().catch(() => {})));
    await closeClient(this.#subscriber);
    this.#setup.onClosed(this);
  }

  #abortAll(reason: WorkerStopped): void {
    for (const running of this.#running.values()) running.abort(reason);
  }
}
