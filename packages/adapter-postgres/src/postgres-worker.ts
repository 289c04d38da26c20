import {
  JobCancelledError,
  type JobError,
  type JobProgress,
  STALLED_ERROR_CODE,
  type Worker,
} from "@switchyard/core";
import type { AttemptOutcome, BackendWorker, JobRuntime, StepAttemptOutcome } from "@switchyard/core/adapter";
import {
  type JobHelpers,
  type Logger,
  runTaskList,
  type Task,
  type TaskList,
  type WorkerPool,
} from "graphile-worker";
import type { Pool } from "pg";
import { localQueueSize, workerPreset } from "./batching-defaults.js";
import { interruptibleSleep, settledWithin } from "./bounded-wait.js";
import { toBackendError } from "./connection-errors.js";
import { LaneWakeUps } from "./lane-wake-ups.js";
import { outcomeWritingPool } from "./outcome-pool.js";
import {
  OutcomeWrites,
  type RetryScope,
  retryGraphileStatements,
  retryWhileTransient,
} from "./outcome-retries.js";
import { ResultWrites } from "./result-writes.js";
import { type RecordedOutcome, recordOutcome } from "./sql/record-outcome.js";
import { recordProgress } from "./sql/record-progress.js";
import { StartedJobs, waitsForStartRecord } from "./started-jobs.js";
import { PostgresStepStore } from "./step-store.js";
import { recordSuspension, suspendedRelease } from "./suspend-job.js";
import { traceContextOfFlags } from "./trace-flag.js";

/** What graphile-worker sets `process.exitCode` to when a breaking migration is announced. */
const BREAKING_MIGRATION_EXIT_CODE = 57;
/**
 * How long, after a hard stop aborted the attempts still running, the worker waits for their outcomes to
 * be stored before giving up on an unreachable database.
 */
const OUTCOME_GRACE_MS = 1_000;
/** How long a graceful stop waits for graphile-worker's outcome writes to land once the pool has shut down. */
const RELEASE_WAIT_MS = 10_000;
/** The least time given to detaching the pool (deleting its heartbeat row) once the stop's time is up. */
const DETACH_WAIT_MS = 200;

/** What a worker needs from its backend. */
export interface WorkerHost {
  readonly runtime: JobRuntime;
  readonly pool: Pool;
  /** graphile-worker's schema. */
  readonly schema: string;
  readonly pollIntervalMs: number;
  readonly graphileLogger: Logger;
  readonly graphilePreset?: GraphileConfig.Preset;
  /** Resolves once the schema is installed. */
  ready(): Promise<void>;
  /** Stores the concurrency limit of each job as this worker's definitions give it, for every process. */
  storeConcurrencyLimits(): Promise<void>;
  /**
   * Starts the shared background services for a new pool (heartbeat, notifications, schedules);
   * `recordsStarted`: the pool has a local queue and records the jobs it starts (started-jobs.ts).
   */
  attachPool(
    workerPool: WorkerPool,
    worker: PostgresWorker,
    options: { recordsStarted: boolean },
  ): Promise<void>;
  /** Stops heartbeating a pool; the services stop with the last one. */
  detachPool(workerPool: WorkerPool, worker: PostgresWorker, options: { crashed: boolean }): Promise<void>;
  /** Wakes idle workers at `at` (epoch ms), when a retried job becomes due. */
  nudgeAt(at: number): void;
  /** The latest graphile-worker migration applied to the schema. */
  schemaRevision(): Promise<number>;
}

/** A running attempt, as the worker tracks it to abort it. */
interface RunningAttempt {
  abort?: (reason: unknown) => void;
  /** Aborted because the worker stopped without grace: the job goes back to the queue at once. */
  stopped: boolean;
  /** Abandoned by `crash()`: graphile-worker never hears back, as with a killed process. */
  crashed: boolean;
}

/** A PostgreSQL worker can also be crashed, to test what happens when a process dies mid-job. */
export interface PostgresWorkerHandle extends Worker {
  /**
   * Abandons running jobs as a killed process would: their locks stay in the database until stalled-job
   * recovery frees them (after `stalledAfter`). The process keeps no connection for this pool.
   */
  crash(): Promise<void>;
}

/**
 * One graphile-worker pool running this client's jobs. Each job name is a graphile-worker task; the task
 * runs the Switchyard attempt and hands its outcome back to graphile-worker: success deletes the job (a
 * trigger records it), a failure releases it (a trigger applies the outcome the attempt recorded first).
 *
 * Database outages: the outcome of an attempt (the adapter's record, then graphile-worker's completion or
 * release) is written again until the database answers, so a restart loses nothing; graphile-worker
 * retries its fetches and its LISTEN connection itself. Only a stop gives these writes up (after its
 * timeout and a short grace), leaving the jobs' locks to stalled-job recovery.
 */
export class PostgresWorker implements BackendWorker {
  readonly ready: Promise<void>;
  readonly #host: WorkerHost;
  readonly #concurrency: number;
  readonly #running = new Map<string, RunningAttempt>();
  /** The `concurrency` of each job this worker runs (undefined: none). */
  readonly #limits: Array<number | undefined>;
  /** The running pool's (see lane-wake-ups.ts). */
  #laneWakeUps?: LaneWakeUps;
  /** Each pool's outcome writes in flight. */
  readonly #outcomeWrites = new WeakMap<WorkerPool, OutcomeWrites>();
  #workerPool?: WorkerPool;
  /** The running pool's record of its started jobs, when it has a local queue. */
  #startedJobs?: StartedJobs;
  #state: "starting" | "running" | "stopping" | "stopped" = "starting";
  /** Set when running attempts were abandoned: attempts that start later are abandoned the same way. */
  #abandon?: "stopped" | "crashed";
  /** Set when the worker stopped (or crashed) without storing every outcome: pending writes give up. */
  #writesAbandoned = false;
  readonly #retryScope: RetryScope;
  readonly #results: ResultWrites;
  /** graphile-worker's schema revision when the worker started. */
  #revision = 0;
  /** `process.exitCode` when the worker started. */
  #exitCode: typeof process.exitCode;
  #relaunching?: Promise<void>;
  #wakeRelaunch?: () => void;
  /** The one stop sequence, started by the first `stop()`. */
  #stopping?: Promise<void>;
  /** When a hard stop was asked for (at once, or while a graceful stop drained). */
  #hardStopAt?: number;
  readonly #hardStop: Promise<void>;
  #hardStopRequested!: () => void;
  /**
   * Keeps the process alive from `work()` until the worker stops, as a listening server does. Without
   * it, a worker whose pool is being replaced while the database is down holds no handle of its own
   * (idle connections and retry timers do not keep a process alive), and Node would exit with code 0.
   */
  #keepAlive?: NodeJS.Timeout = setInterval(() => {}, 2 ** 31 - 1);

  constructor(host: WorkerHost, concurrency: number) {
    this.#host = host;
    this.#concurrency = concurrency;
    this.#retryScope = { abandoned: () => this.#writesAbandoned, logger: host.runtime.logger };
    this.#results = new ResultWrites(host.pool, host.schema, this.#retryScope);
    this.#limits = [...host.runtime.jobs.values()].map((job) => job.concurrency);
    this.#hardStop = new Promise<void>((resolve) => {
      this.#hardStopRequested = resolve;
    });
    // Not swallowed: a worker that cannot start rejects `ready` (core stops it and reports the error).
    this.ready = this.#start().catch((error: unknown) => {
      this.#letProcessExit();
      throw error;
    });
  }

  #letProcessExit(): void {
    clearInterval(this.#keepAlive);
    this.#keepAlive = undefined;
  }

  async #start(): Promise<void> {
    await this.#host.ready();
    if (this.#state !== "starting") return;
    this.#preset(); // a ConfigError before anything starts
    this.#revision = await this.#host.schemaRevision();
    await this.#host.storeConcurrencyLimits();
    this.#exitCode = process.exitCode;
    // Stopped meanwhile: no pool. Once `#launch` runs, the pool is set before its first await, so a stop
    // from then on sees it and shuts it down.
    if (this.#state !== "starting") return;
    try {
      await this.#launch();
    } catch (error) {
      if (this.#state === "starting") this.#state = "stopped";
      throw toBackendError(error, "starting the worker");
    }
    if (this.#state === "starting") this.#state = "running";
  }

  /** graphile-worker's settings for this worker's pools (batching-defaults.ts). */
  #preset(): GraphileConfig.Preset {
    const lanes = this.#limits.some((limit) => limit !== undefined);
    return workerPreset(this.#concurrency, this.#host.graphilePreset, { lanes });
  }

  /** Starts a graphile-worker pool for this worker and registers its heartbeat. */
  async #launch(): Promise<void> {
    const task = this.#task;
    const tasks: TaskList = {};
    for (const name of this.#host.runtime.jobs.keys()) tasks[name] = task;
    // No job is locked before the pool's heartbeat is registered: stalled-job recovery only frees the
    // jobs of pools it knows, so a pool must be known before it holds any.
    let registered = false;
    let openGate!: () => void;
    const gate = new Promise<null>((resolve) => {
      openGate = () => resolve(null);
    });
    const preset = this.#preset();
    const hasLocalQueue = localQueueSize(preset) > 0;
    this.#laneWakeUps = new LaneWakeUps(this.#limits, { localQueue: hasLocalQueue });
    // Once a job's outcome is stored its named queue (lane) is free: an idle worker of this pool takes the
    // lane's next job now instead of at the next poll (graphile-worker fetches again before the write lands).
    const outcomeWrites = new OutcomeWrites(this.#retryScope, () => this.nudge(1));
    const workerPool = runTaskList(
      {
        schema: this.#host.schema,
        concurrency: this.#concurrency,
        pollInterval: this.#host.pollIntervalMs,
        noHandleSignals: true,
        logger: this.#host.graphileLogger,
        preset,
        forbiddenFlags: () => (registered ? null : gate),
      },
      tasks,
      outcomeWritingPool(this.#host.pool, (statement) => outcomeWrites.store(statement)),
    );
    retryGraphileStatements(workerPool, this.#retryScope);
    this.#outcomeWrites.set(workerPool, outcomeWrites);
    this.#workerPool = workerPool;
    this.#startedJobs?.stop();
    this.#startedJobs = hasLocalQueue
      ? new StartedJobs({
          pool: this.#host.pool,
          schema: this.#host.schema,
          poolId: workerPool.id,
          running: () => this.#running.keys(),
          logger: this.#host.runtime.logger,
        })
      : undefined;
    const ended = () => this.#poolEnded(workerPool);
    workerPool.promise.then(ended, ended);
    try {
      await this.#host.attachPool(workerPool, this, { recordsStarted: hasLocalQueue });
    } catch (error) {
      this.#workerPool = undefined;
      this.#startedJobs?.stop(); // gives its held connection back
      this.#startedJobs = undefined;
      await Promise.resolve(workerPool.gracefulShutdown("Switchyard worker could not start")).catch(() => {});
      openGate();
      await this.#host.detachPool(workerPool, this, { crashed: false }).catch(() => {});
      throw error;
    }
    registered = true;
    openGate();
  }

  /**
   * graphile-worker shut the pool down by itself. It does so when any schema of the database announces a
   * breaking migration (the channel is database-wide), and when it cannot store jobs' outcomes. When this
   * schema is unchanged, a new pool takes over (and graphile-worker's exit code 57 is undone); when it was
   * migrated by a newer graphile-worker, the worker stays stopped, as graphile-worker intends.
   */
  #poolEnded(workerPool: WorkerPool): void {
    if (this.#workerPool !== workerPool || this.#state !== "running") return; // stopped or crashed by us
    this.#relaunching = this.#relaunch(workerPool).catch((error: unknown) => {
      this.#host.runtime.logger.error("postgres: restarting the worker pool failed", {
        error: (error as Error).message,
      });
    });
  }

  async #relaunch(ended: WorkerPool): Promise<void> {
    const logger = this.#host.runtime.logger;
    this.#startedJobs?.stop(); // the ended pool's; a new pool makes its own
    this.#startedJobs = undefined;
    const released = await this.#outcomesStored(ended);
    await this.#host.detachPool(ended, this, { crashed: !released });
    for (let delay = 500; this.#state === "running"; delay = Math.min(delay * 2, 30_000)) {
      try {
        const revision = await this.#host.schemaRevision();
        if (revision !== this.#revision) {
          logger.error(
            `postgres: graphile-worker stopped this worker: schema "${this.#host.schema}" was migrated to revision ${revision} by another process`,
          );
          this.#state = "stopped";
          this.#letProcessExit();
          return;
        }
        if (
          process.exitCode === BREAKING_MIGRATION_EXIT_CODE &&
          this.#exitCode !== BREAKING_MIGRATION_EXIT_CODE
        ) {
          process.exitCode = this.#exitCode;
        }
        if (this.#state !== "running") return;
        await this.#launch();
        logger.warn(
          `postgres: graphile-worker stopped this worker's pool (a breaking migration of another schema, or a database outage); a new pool took over`,
        );
        return;
      } catch (error) {
        logger.warn("postgres: restarting the worker pool failed; trying again", {
          error: (error as Error).message,
        });
        const sleep = interruptibleSleep(delay);
        this.#wakeRelaunch = sleep.wake;
        await sleep.done;
        this.#wakeRelaunch = undefined;
      }
    }
  }

  /**
   * Wakes up to `count` idle workers of this pool. Never throws: it is called from timers and
   * notifications, and graphile-worker asserts when a worker of a pool that is shutting down is nudged.
   */
  nudge(count: number): void {
    const workerPool = this.#workerPool;
    if (this.#state !== "running" || !workerPool?._active || workerPool._shuttingDown) return;
    try {
      workerPool.nudge(count);
    } catch {
      // A worker of the pool is ending (graphile-worker replaces or shuts it down); polling finds the job.
    }
  }

  /** Aborts the attempt of job `id` if it runs here (its cancellation was requested). */
  cancel(id: string): void {
    this.#running.get(id)?.abort?.(new JobCancelledError(`job ${id} was cancelled`));
  }

  /**
   * Stops taking jobs. Graceful: waits for the running attempts, for ever (core turns a graceful stop
   * with a timeout into a hard one when it passes). Hard (`graceful: false`, at once or while a graceful
   * stop drains): aborts them, and they go back to the queue at once. Their outcomes get
   * `OUTCOME_GRACE_MS` more to be stored, then a database that does not answer is given up on (the locks
   * left are freed by stalled-job recovery): a hard stop resolves within about a second whatever the
   * database does. Every call returns the same stop; `timeout` is ignored.
   */
  /** False once the worker stopped, also on its own (its schema migrated by a newer graphile-worker). */
  takingJobs(): boolean {
    return this.#state === "running";
  }

  stop(options: { graceful?: boolean; timeout?: number } = {}): Promise<void> {
    if (options.graceful === false && this.#hardStopAt === undefined) {
      this.#hardStopAt = Date.now();
      this.#hardStopRequested();
    }
    this.#stopping ??= this.#stop().finally(() => this.#letProcessExit());
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    await this.#settles(this.ready);
    if (this.#state === "stopped") return;
    this.#state = "stopping";
    this.#wakeRelaunch?.();
    if (this.#relaunching) await this.#settles(this.#relaunching);
    const workerPool = this.#workerPool;
    if (!workerPool) {
      this.#state = "stopped";
      this.#startedJobs?.stop();
      return;
    }
    const shutdown = Promise.resolve(workerPool.gracefulShutdown("Switchyard worker stopping")).catch(
      () => {},
    );
    await Promise.race([shutdown, this.#hardStop]);
    if (this.#hardStopAt !== undefined) this.#abortAll("stopped");
    // A lock still held (the database went away) stays recoverable: the heartbeat row is left to age.
    const released = (await this.#settles(shutdown)) && (await this.#outcomesStored(workerPool));
    this.#state = "stopped";
    this.#startedJobs?.stop();
    if (!released) {
      this.#writesAbandoned = true;
      this.#host.runtime.logger.warn(
        "postgres: the worker stopped before the outcome of every job was stored (the database did not answer); those jobs run again after stalledAfter",
      );
    }
    const detachWaitMs =
      this.#hardStopAt === undefined
        ? RELEASE_WAIT_MS
        : Math.min(RELEASE_WAIT_MS, this.#hardStopAt + OUTCOME_GRACE_MS - Date.now());
    await settledWithin(
      this.#host.detachPool(workerPool, this, { crashed: !released }),
      Math.max(DETACH_WAIT_MS, detachWaitMs),
    );
  }

  /**
   * Waits for `promise` (at most `maxMs`) and says whether it settled; once a hard stop is asked for, at
   * most until `OUTCOME_GRACE_MS` after it.
   */
  async #settles(promise: Promise<unknown>, maxMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    const settled = promise.then(
      () => true,
      () => true,
    );
    const givenUp = this.#hardStop.then(() =>
      settledWithin(settled, Math.max(0, this.#hardStopAt! + OUTCOME_GRACE_MS - Date.now())),
    );
    const outcome = Promise.race([settled, givenUp]);
    if (maxMs === Number.POSITIVE_INFINITY) return outcome;
    return (await settledWithin(outcome, maxMs)) && outcome;
  }

  async crash(): Promise<void> {
    await this.ready.catch(() => {});
    await this.#relaunching;
    const workerPool = this.#workerPool;
    if (this.#state !== "running" || !workerPool) return;
    this.#state = "stopped";
    this.#stopping = Promise.resolve();
    this.#writesAbandoned = true;
    this.#letProcessExit();
    this.#startedJobs?.stop();
    this.#abortAll("crashed");
    // Stops fetching and listening; the abandoned tasks never settle, so graphile-worker never releases them.
    void Promise.resolve(workerPool.gracefulShutdown("Switchyard worker crashed")).catch(() => {});
    await this.#host.detachPool(workerPool, this, { crashed: true });
  }

  /**
   * graphile-worker writes a job's completion or failure after its task returns, without waiting for it,
   * and its shutdown does not wait either: once the pool has shut down, wait until those writes have
   * landed, so that `stop()` resolves once every outcome is stored. False when some are still failing
   * after `RELEASE_WAIT_MS` (or a hard stop's grace): the database is unreachable, and their jobs' locks
   * are left to stalled-job recovery.
   */
  async #outcomesStored(workerPool: WorkerPool): Promise<boolean> {
    const writes = this.#outcomeWrites.get(workerPool);
    return !writes || (await this.#settles(writes.drained(), RELEASE_WAIT_MS));
  }

  #abortAll(how: "stopped" | "crashed"): void {
    this.#abandon = how;
    for (const attempt of this.#running.values()) abandon(attempt, how);
  }

  readonly #task: Task = async (payload: unknown, helpers: JobHelpers) => {
    const job = helpers.job;
    const id = String(job.id);
    const attempt: RunningAttempt = { stopped: false, crashed: false };
    if (this.#abandon === "crashed") return new Promise<void>(() => {});
    if (this.#laneWakeUps?.shouldWakeAnother(job.job_queue_id)) this.nudge(1);
    this.#running.set(id, attempt);
    let outcome: StepAttemptOutcome;
    let steps: PostgresStepStore | undefined;
    try {
      // A job given an attempt back by stalled-job recovery waits until its start record has landed: a crash
      // from there on counts the attempt (started-jobs.ts). Any other job's record goes out meanwhile.
      const recorded = this.#startedJobs?.recorded();
      if (waitsForStartRecord(job.flags)) await recorded;
      // Without steps the store is made at once: no promise, no turn, on the path every job takes.
      const opened = PostgresStepStore.open(this.#host, job, this.#retryScope);
      steps = opened instanceof PostgresStepStore ? opened : await opened;
      outcome = await this.#host.runtime.runAttempt(job.task_identifier, {
        id,
        payload,
        attempt: job.attempts,
        maxAttempts: job.max_attempts,
        registerAbort: (abort) => {
          attempt.abort = abort;
          // A job fetched while the worker was being stopped or crashed.
          if (this.#abandon) abandon(attempt, this.#abandon);
        },
        progress: (value) => this.#writeProgress(id, value),
        steps,
        traceContext: traceContextOfFlags(job.flags),
      });
    } finally {
      steps?.end();
      this.#running.delete(id);
    }
    if (attempt.crashed) return new Promise<void>(() => {});
    if (attempt.stopped && outcome.type !== "completed" && outcome.type !== "suspended") {
      const error = { message: "the worker stopped during the attempt", code: STALLED_ERROR_CODE };
      await this.#recordOutcome(id, "released", error);
      throw releaseError(error, outcome);
    }
    switch (outcome.type) {
      case "completed":
        if (outcome.result !== undefined) await this.#recordResult(id, outcome.result);
        return;
      case "cancelled":
        await this.#recordOutcome(id, "cancelled", outcome.error);
        return;
      case "retry":
        await this.#recordOutcome(id, "retry", outcome.error, outcome.delayMs);
        this.#host.nudgeAt(Date.now() + outcome.delayMs);
        throw releaseError(outcome.error, outcome);
      case "failed":
        await this.#recordOutcome(id, outcome.permanent ? "permanent" : "failed", outcome.error);
        throw releaseError(outcome.error, outcome);
      case "suspended":
        await recordSuspension(this.#host, id, outcome.until, this.#retryScope);
        this.#host.nudgeAt(outcome.until.getTime());
        throw suspendedRelease(id, outcome.until);
    }
  };

  /** The outcome graphile-worker's release will apply (written again until the database answers). */
  async #recordOutcome(id: string, kind: RecordedOutcome, error: JobError, delayMs?: number): Promise<void> {
    await retryWhileTransient(
      () => recordOutcome(this.#host.pool, this.#host.schema, id, { kind, error, delayMs }),
      this.#retryScope,
      `storing the outcome of job ${id}`,
    );
  }

  /** The handler's result, stored before graphile-worker deletes the job (merged with others that end now). */
  #recordResult(id: string, result: unknown): Promise<void> {
    return this.#results.store(id, result);
  }

  /** `ctx.progress()`: a lost connection is a BackendUnavailableError for the handler to handle. */
  async #writeProgress(id: string, value: JobProgress): Promise<void> {
    try {
      await recordProgress(this.#host.pool, this.#host.schema, id, value);
    } catch (error) {
      throw toBackendError(error, "progress");
    }
  }
}

function abandon(attempt: RunningAttempt, how: "stopped" | "crashed"): void {
  attempt[how] = true;
  attempt.abort?.(new Error(how === "crashed" ? "the worker crashed" : "the worker stopped"));
}

/** The error handed to graphile-worker, which stores its message as `last_error` and logs its stack. */
function releaseError(error: JobError, outcome: AttemptOutcome): Error {
  const released = new Error(error.message || error.code || "attempt failed");
  const cause = "cause" in outcome ? outcome.cause : undefined;
  if (cause instanceof Error && cause.stack) released.stack = cause.stack;
  return released;
}
