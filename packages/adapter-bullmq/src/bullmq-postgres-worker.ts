import {
  JOB_CANCELLED_ERROR_CODE,
  JobCancelledError,
  type JobProgress,
  STALLED_ERROR_CODE,
  type Worker,
} from "@switchyard/core";
import {
  type AttemptInput,
  type AttemptOutcome,
  type BackendWorker,
  backoffDelay,
  type JobRuntime,
  setLongTimeout,
  type TraceContext,
} from "@switchyard/core/adapter";
import {
  type JobProgress as BullmqJobProgress,
  DelayedError,
  type Job,
  PostgresConnection,
  type PostgresConnectionOptions,
  type PostgresQueueBackend,
  Worker as QueueWorker,
} from "bullmq";
import { AttemptFailedError, AttemptRetryError } from "./attempt-errors.js";
import { ConcurrencyGate } from "./concurrency-gate.js";
import { cronRepeatStrategy } from "./cron-repeat.js";
import { formatJobId } from "./job-ref.js";
import type { PostgresCancellations } from "./postgres-cancellations.js";
import {
  type PostgresConnections,
  type PostgresQueue,
  type PostgresQueueWorker,
  postgresUnavailable,
  toPostgresUnavailable,
} from "./postgres-connections.js";
import { postgresPayloadOf } from "./postgres-payload.js";
import { STOP_GRACE_MS, waitAtMost, waitForStop } from "./stop-wait.js";
import { traceContextOf } from "./trace-metadata.js";

/** How long a job a hard stop put back stays delayed if its worker dies before promoting it. */
const REQUEUE_DELAY_MS = 1_000;

/** How long a hard stop waits for BullMQ's forced close (it then has no handler left to wait for). */
const FORCED_CLOSE_WAIT_MS = 2_000;

/** What a worker needs from its `bullmq({ postgres })` backend. */
export interface PostgresWorkerSetup {
  runtime: JobRuntime;
  concurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  connections: PostgresConnections;
  /** The client's queue of a job, for its global concurrency. */
  queue(name: string): PostgresQueue;
  /** Cancel marks and notices. */
  cancellations: PostgresCancellations;
  readyTimeoutMs: number | undefined;
  onError(error: Error): void;
  onClosed(worker: BullmqPostgresWorkerRunner): void;
}

/** One attempt and the input core runs it with (no durable steps on this backend). */
class RunningAttempt implements AttemptInput {
  readonly payload: unknown;
  /** From the job row's opts, as on Redis (trace-metadata.ts). */
  readonly traceContext: TraceContext | undefined;
  reason: unknown;
  #abort?: (reason: unknown) => void;

  constructor(
    readonly id: string,
    readonly job: Job,
    readonly attempt: number,
    readonly maxAttempts: number,
  ) {
    this.payload = postgresPayloadOf(job);
    this.traceContext = traceContextOf(job);
  }

  registerAbort(abort: (reason: unknown) => void): void {
    this.#abort = abort;
    if (this.reason !== undefined) abort(this.reason);
  }

  get progress(): (value: JobProgress) => Promise<void> {
    const job = this.job;
    return (value) => job.updateProgress(value);
  }

  abort(reason: unknown): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    this.#abort?.(reason);
  }
}

/** Why a worker aborted a running attempt. */
class WorkerStopped extends Error {
  constructor(readonly crashed: boolean) {
    super(crashed ? "the worker crashed" : "the worker stopped");
  }
}

/**
 * The worker of `bullmq({ postgres })`: one BullMQ worker per job on BullMQ's PostgreSQL backend,
 * each with its own connection (a pool, and a LISTEN connection that wakes it when a job is added).
 * The Redis worker's shape without durable steps; cancel notices come on a LISTEN connection of its own.
 */
export class BullmqPostgresWorkerRunner implements BackendWorker {
  readonly ready: Promise<void>;
  readonly workers: PostgresQueueWorker[] = [];
  readonly #setup: PostgresWorkerSetup;
  readonly #gate?: ConcurrencyGate;
  readonly #running = new Map<string, RunningAttempt>();
  readonly #requeued: Job[] = [];
  /** The worker's own LISTEN connection, for cancel notices. */
  readonly #listener: PostgresConnection;
  #stopping?: Promise<void>;
  #hardStop = false;
  #lastError?: Error;
  #failReady?: (error: Error) => void;

  constructor(setup: PostgresWorkerSetup) {
    this.#setup = setup;
    const { runtime, concurrency, connections } = setup;
    const jobs = [...runtime.jobs.values()];
    const perQueue = jobs.map((job) => Math.min(concurrency, job.concurrency ?? concurrency));
    if (perQueue.reduce((sum, n) => sum + n, 0) > concurrency) this.#gate = new ConcurrencyGate(concurrency);
    const backoffStrategy = (attemptsMade: number, _type?: string, error?: Error, job?: { name: string }) => {
      if (error instanceof AttemptRetryError) return error.delayMs;
      const definition = job && runtime.jobs.get(job.name);
      return definition ? backoffDelay(definition.retry, attemptsMade) : -1;
    };
    for (const [index, job] of jobs.entries()) {
      const worker = new QueueWorker<
        unknown,
        unknown,
        string,
        PostgresQueueBackend,
        BullmqJobProgress,
        PostgresConnectionOptions
      >(
        job.name,
        (bullJob, token) => this.#process(job.name, bullJob, token),
        {
          connection: connections.workerConnection(perQueue[index]!),
          concurrency: perQueue[index],
          lockDuration: setup.lockDurationMs,
          stalledInterval: setup.stalledIntervalMs,
          maxStalledCount: job.retry.maxAttempts,
          settings: { backoffStrategy, repeatStrategy: cronRepeatStrategy },
        },
        connections.workerFactory,
      );
      worker.on("error", (error) => {
        this.#lastError = error;
        setup.onError(error);
      });
      this.workers.push(worker);
    }
    // BullMQ's global concurrency of each job's queue: the limit of the worker started last.
    const limits = jobs.map((job) =>
      job.concurrency === undefined
        ? setup.queue(job.name).removeGlobalConcurrency()
        : setup.queue(job.name).setGlobalConcurrency(job.concurrency),
    );
    this.#listener = new PostgresConnection(connections.workerConnection(1));
    this.#listener.on("error", setup.onError);
    const onCancel = (id: string) =>
      this.#running.get(id)?.abort(new JobCancelledError(`job ${id} was cancelled`));
    this.ready = this.#startUp(
      Promise.all([
        ...this.workers.map((worker) => worker.waitUntilReady()),
        ...limits,
        setup.cancellations.listen(this.#listener, onCancel),
      ]),
    );
    this.ready.catch(() => {});
  }

  #startUp(started: Promise<unknown>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const { readyTimeoutMs } = this.#setup;
      const timer =
        readyTimeoutMs === undefined
          ? undefined
          : setLongTimeout(() => {
              const detail = this.#lastError ? ` (last error: ${this.#lastError.message})` : "";
              this.#failReady?.(
                postgresUnavailable(
                  `the worker could not start: PostgreSQL did not answer within readyTimeout (${readyTimeoutMs} ms)${detail}`,
                  "no",
                  this.#lastError,
                ),
              );
            }, readyTimeoutMs);
      this.#failReady = (error) => {
        timer?.clear();
        this.#failReady = undefined;
        reject(error);
      };
      started.then(
        () => {
          timer?.clear();
          this.#failReady = undefined;
          resolve();
        },
        (error: unknown) => this.#failReady?.(toPostgresUnavailable(error, "no") as Error),
      );
    });
  }

  async #process(queue: string, job: Job, token: string | undefined): Promise<unknown> {
    const id = formatJobId(queue, job.id!);
    const maxAttempts = job.opts.attempts || 1;
    const attempt = job.attemptsStarted;
    // Started more often than it finished attempts: abandoned (a crash, a hard stop). It may have been
    // cancelled meanwhile, and it may have used its last attempt.
    if (attempt > job.attemptsMade + 1) {
      if (await this.#setup.cancellations.isMarked({ queue, jobId: job.id! })) {
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
      // Crashed: nothing is written, the lock expires and the stalled check runs the job again.
      if (stopped.crashed) return undefined;
      // Stopped without grace: back to run again, delayed a moment (see bullmq-worker.ts).
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

  stop(options: { graceful: boolean; timeout?: number } = { graceful: true }): Promise<void> {
    if (!options.graceful) this.#hardStop = true;
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  /** Stops as a killed process would: BullMQ closes without waiting and nothing is written for running jobs. */
  crash(): Promise<void> {
    this.#stopping ??= (async () => {
      // Closed first: a handler aborted while BullMQ still had its connection would be written back.
      await waitAtMost(Promise.all(this.workers.map((worker) => worker.close(true))), STOP_GRACE_MS);
      this.#abortAll(new WorkerStopped(true));
      await waitAtMost(this.#listener.close(), STOP_GRACE_MS);
      this.#stopped();
    })();
    return this.#stopping;
  }

  /** BullMQ's close stops fetching at once; a graceful stop waits for the handlers, a hard one aborts them. */
  async #stop(): Promise<void> {
    this.#failReady?.(new Error("the worker was stopped before it was ready"));
    let closed = false;
    const closing = Promise.all(this.workers.map((worker) => worker.close())).then(
      () => {
        closed = true;
      },
      (error: unknown) => {
        closed = true;
        this.#setup.onError(error as Error);
      },
    );
    const { graceEndsAt } = await waitForStop({
      closing,
      closed: () => closed,
      busy: () => this.#running.size > 0,
      // pg gives no connection state to watch: the grace always runs its course (at most STOP_GRACE_MS).
      connected: () => true,
      hard: () => this.#hardStop,
      abort: () => this.#abortAll(new WorkerStopped(false)),
    });
    if (!closed) {
      await waitAtMost(Promise.all(this.workers.map((worker) => worker.close(true))), FORCED_CLOSE_WAIT_MS);
    }
    if (this.#requeued.length > 0) {
      // The requeued jobs wait a moment in delayed: promote them now, through the client's queues (the
      // workers' connections are closed).
      const promoted = Promise.all(
        this.#requeued.map((job) =>
          this.#setup
            .queue(job.name)
            .getJob(job.id!)
            .then((stored) => stored?.promote())
            .catch(() => {}),
        ),
      );
      await waitAtMost(promoted, Math.max(0, graceEndsAt - Date.now()));
    }
    await waitAtMost(this.#listener.close(), STOP_GRACE_MS);
    this.#stopped();
  }

  #stopped(): void {
    this.#failReady?.(new Error("the worker was stopped before it was ready"));
    this.#setup.onClosed(this);
  }

  #abortAll(reason: WorkerStopped): void {
    for (const running of this.#running.values()) running.abort(reason);
  }
}

/** What `jobs.work()` returns on `bullmq({ postgres })`: the app's Worker, plus its BullMQ workers and `crash()`. */
export interface BullmqPostgresWorker extends Worker {
  readonly workers: ReadonlyArray<PostgresQueueWorker>;
  crash(): Promise<void>;
}
