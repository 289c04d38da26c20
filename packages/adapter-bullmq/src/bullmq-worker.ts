import { randomUUID } from "node:crypto";
import {
  JOB_CANCELLED_ERROR_CODE,
  JobCancelledError,
  type JobProgress,
  STALLED_ERROR_CODE,
  type Worker,
} from "@switchyard/core";
import {
  type AttemptInput,
  type BackendWorker,
  backoffDelay,
  type JobRuntime,
  type StepAttemptOutcome,
  type StepStore,
  setLongTimeout,
  type TraceContext,
} from "@switchyard/core/adapter";
import { type Worker as BullmqQueueWorker, DelayedError, type Job } from "bullmq";
import { AttemptFailedError, AttemptRetryError } from "./attempt-errors.js";
import type { Cancellations } from "./cancellations.js";
import { ConcurrencyGate } from "./concurrency-gate.js";
import { ConcurrencyLimits } from "./concurrency-limits.js";
import { cronRepeatStrategy } from "./cron-repeat.js";
import { formatJobId } from "./job-ref.js";
import type { WorkerConnections } from "./redis-connections.js";
import { payloadOf } from "./schedule-payload.js";
import { openStepStore } from "./step-store.js";
import { STOP_GRACE_MS, waitAtMost, waitForStop } from "./stop-wait.js";
import { SwitchyardQueueWorker, suspendJob } from "./suspend.js";
import { traceContextOf } from "./trace-metadata.js";
import { redisUnavailable, toUnavailable } from "./unavailable.js";

/** The BullMQ backoff type of every Switchyard job: its delays come from the worker's backoff strategy. */
export const SWITCHYARD_BACKOFF = "switchyard";

/** How long a job a hard stop put back stays delayed if its worker dies before promoting it. */
const REQUEUE_DELAY_MS = 1_000;

/**
 * How long BullMQ's close may take once the worker's connections are cut: it then has nothing left to
 * wait for but a handler that ignores its abort signal, which the stop does not wait for.
 */
const AFTER_CUT_WAIT_MS = 200;

/**
 * What `jobs.work()` returns on BullMQ (`jobs.work() as BullmqWorker`): the app's Worker, plus the
 * BullMQ workers it runs (one per registered job) and `crash()` for tests.
 */
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
  /** The worker's own connections (its BullMQ workers', their duplicates, the cancel subscriber). */
  connections: WorkerConnections;
  /** How long `ready` waits for Redis; absent: as long as it takes. */
  readyTimeoutMs: number | undefined;
  /** Cancel notices and marks. */
  cancellations: Cancellations;
  onError(error: Error): void;
  onClosed(worker: BullmqWorkerRunner): void;
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
  /** The job's durable steps (step-store.ts). */
  readonly steps: StepStore;
  readonly traceContext: TraceContext | undefined;
  /** Why the attempt was aborted; the first reason wins. */
  reason: unknown;
  readonly #job: Job;
  #abort?: (reason: unknown) => void;

  constructor(id: string, job: Job, attempt: number, maxAttempts: number, steps: StepStore) {
    this.id = id;
    this.payload = payloadOf(job);
    this.attempt = attempt;
    this.maxAttempts = maxAttempts;
    this.steps = steps;
    this.traceContext = traceContextOf(job);
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

/** The worker `work()` starts, behind core's wrapper (which gives the app a BullmqWorker). */
export class BullmqWorkerRunner implements BackendWorker {
  readonly ready: Promise<void>;
  readonly workers: BullmqQueueWorker[] = [];
  readonly #setup: WorkerSetup;
  readonly #gate?: ConcurrencyGate;
  readonly #limits: ConcurrencyLimits;
  /** Running attempts by Switchyard id: aborting one ends its attempt. */
  readonly #running = new Map<string, RunningAttempt>();
  /** Jobs a hard stop put back (delayed), promoted once the BullMQ workers are closed. */
  readonly #requeued: Job[] = [];
  #stopping?: Promise<void>;
  /** Set by a hard stop, also one asked for while a graceful stop drains. */
  #hardStop = false;
  /** The last connection error, for the message of a `ready` that timed out. */
  #lastError?: Error;
  /** Rejects `ready` when it is still pending as the worker stops (or readyTimeout passes). */
  #failReady?: (error: Error) => void;

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
      const worker = new SwitchyardQueueWorker(
        job.name,
        (bullJob, token) => this.#process(job.name, bullJob, token),
        {
          connection: setup.connections.connection,
          prefix: setup.prefix,
          concurrency: perQueue[index],
          lockDuration: setup.lockDurationMs,
          stalledInterval: setup.stalledIntervalMs,
          // Stalls consume attempts (see #process), so the attempt count bounds them, not this.
          maxStalledCount: job.retry.maxAttempts,
          settings: { backoffStrategy, repeatStrategy: cronRepeatStrategy },
        },
      );
      worker.on("error", (error) => {
        this.#lastError = error;
        setup.onError(error);
      });
      this.workers.push(worker);
    }
    this.#limits = new ConcurrencyLimits({
      redis: setup.connections.connection,
      prefix: setup.prefix,
      workerId: randomUUID(),
      jobs,
      logger: runtime.logger,
      onError: setup.onError,
    });
    const onCancel = (id: string) =>
      this.#running.get(id)?.abort(new JobCancelledError(`job ${id} was cancelled`));
    this.ready = this.#startUp(
      Promise.all([
        ...this.workers.map((worker) => worker.waitUntilReady()),
        setup.cancellations.listen(setup.connections.subscriber, onCancel),
        this.#limits.start(),
      ]),
    );
    this.ready.catch(() => {}); // surfaced through `ready`
  }

  /**
   * `ready`: BullMQ's start-up, which waits out a Redis outage for as long as it lasts (each BullMQ
   * worker reconnects on its own), bounded by readyTimeout when one is set. It settles in any case
   * once the worker stops.
   */
  #startUp(started: Promise<unknown>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const { readyTimeoutMs } = this.#setup;
      const timer =
        readyTimeoutMs === undefined
          ? undefined
          : setLongTimeout(() => {
              const detail = this.#lastError ? ` (last error: ${this.#lastError.message})` : "";
              this.#failReady?.(
                redisUnavailable(
                  `the worker could not start: Redis did not answer within readyTimeout (${readyTimeoutMs} ms)${detail}`,
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
        (error: unknown) => this.#failReady?.(toUnavailable(error, "no") as Error),
      );
    });
  }

  /** The BullMQ processor: runs one attempt through core and hands core's decision back to BullMQ. */
  async #process(queue: string, job: Job, token: string | undefined): Promise<unknown> {
    const id = formatJobId(queue, job.id!);
    const maxAttempts = job.opts.attempts || 1;
    // Before attemptsStarted is read: a resume after a sleep hands back its start there.
    const opened = openStepStore(this.#setup.connections.connection, id, job, token);
    const steps = opened instanceof Promise ? await opened : opened;
    const attempt = job.attemptsStarted;
    // A job started more often than it finished attempts was abandoned (a crash, a hard stop): it may
    // have been cancelled meanwhile, and it may have used its last attempt.
    if (attempt > job.attemptsMade + 1) {
      const ref = { queue, jobId: job.id! };
      if (await this.#setup.cancellations.isMarked(this.#setup.connections.connection, ref)) {
        throw new AttemptFailedError({ message: `job ${id} was cancelled`, code: JOB_CANCELLED_ERROR_CODE });
      }
      if (attempt > maxAttempts) {
        throw new AttemptFailedError({
          message: "the worker stopped during the last attempt",
          code: STALLED_ERROR_CODE,
        });
      }
    }
    const running = new RunningAttempt(id, job, attempt, maxAttempts, steps);
    this.#running.set(id, running);
    let outcome: StepAttemptOutcome;
    try {
      outcome = this.#gate
        ? await this.#runGated(queue, running, this.#gate)
        : await this.#setup.runtime.runAttempt(queue, running);
    } finally {
      this.#running.delete(id);
      steps.end();
    }
    const stopped = running.reason;
    // A suspended job is moved to delayed below, as it would have been without the stop.
    if (stopped instanceof WorkerStopped && outcome.type !== "completed" && outcome.type !== "suspended") {
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
      case "suspended":
        // A crashed worker writes nothing, as a killed process would not: its lock expires instead.
        if (stopped instanceof WorkerStopped && stopped.crashed) return undefined;
        return suspendJob(job, outcome.until, token);
      case "retry":
        throw new AttemptRetryError(outcome.error, outcome.delayMs, outcome.cause);
      default:
        throw new AttemptFailedError(outcome.error, outcome.cause);
    }
  }

  async #runGated(
    queue: string,
    running: RunningAttempt,
    gate: ConcurrencyGate,
  ): Promise<StepAttemptOutcome> {
    const wait = gate.acquire();
    if (wait) await wait;
    try {
      return await this.#setup.runtime.runAttempt(queue, running);
    } finally {
      gate.release();
    }
  }

  /**
   * Stops the worker; every call returns the same promise. A graceful stop waits for the running
   * handlers; a hard stop, also one that comes while a graceful stop drains (core sends it when the
   * app's timeout passes), aborts them. `timeout` is core's to enforce: ignored.
   */
  stop(options: { graceful: boolean; timeout?: number } = { graceful: true }): Promise<void> {
    if (!options.graceful) this.#hardStop = true;
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  crash(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#limits.halt();
      await waitAtMost(Promise.all(this.workers.map((worker) => worker.close(true))), STOP_GRACE_MS);
      this.#abortAll(new WorkerStopped(true));
      this.#setup.connections.disconnectAll();
      this.#stopped();
    })();
    return this.#stopping;
  }

  /**
   * Stops fetching at once (BullMQ's close), then waits for what the stop asks for and never for
   * Redis alone: the running handlers while it is graceful; none once it is hard (they are aborted).
   * Once no handler is waited for, Redis gets STOP_GRACE_MS in all for the last writes, the jobs put
   * back, this worker's concurrency limits taken back and the QUITs, and no time while it is not
   * connected. What BullMQ still waits on then (a QUIT, a blocking read, a reconnection) is cut, so the
   * stop resolves whatever the server does: within about STOP_GRACE_MS of the stop turning hard.
   */
  async #stop(): Promise<void> {
    const { connections } = this.#setup;
    this.#failReady?.(this.#stoppedBeforeReady());
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
      connected: () => connections.connected,
      hard: () => this.#hardStop,
      abort: () => this.#abortAll(new WorkerStopped(false)),
    });
    // This worker's concurrency limits are taken back while Redis answers; else they expire on their own.
    this.#limits.halt();
    if (connections.connected) {
      await waitAtMost(
        this.#limits.leave().catch(() => {}),
        graceEndsAt - Date.now(),
      );
    }
    if (!closed) {
      // BullMQ waits on Redis: cut its connections so that its close can finish.
      connections.disconnectAll();
      await waitAtMost(closing, AFTER_CUT_WAIT_MS);
    } else if (this.#requeued.length > 0 && connections.connected) {
      const promoted = Promise.all(this.#requeued.map((job) => job.promote().catch(() => {})));
      await waitAtMost(promoted, graceEndsAt - Date.now());
    }
    await connections.closeAll(Math.max(0, graceEndsAt - Date.now()));
    this.#stopped();
  }

  #stopped(): void {
    this.#failReady?.(this.#stoppedBeforeReady());
    this.#setup.onClosed(this);
  }

  #stoppedBeforeReady(): Error {
    return this.#lastError
      ? redisUnavailable("the worker was stopped before Redis answered", "no", this.#lastError)
      : new Error("the worker was stopped before it was ready");
  }

  #abortAll(reason: WorkerStopped): void {
    for (const running of this.#running.values()) running.abort(reason);
  }
}
