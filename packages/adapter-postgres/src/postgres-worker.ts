import {
  JobCancelledError,
  type JobError,
  type JobProgress,
  STALLED_ERROR_CODE,
  type StopOptions,
  type Worker,
} from "@switchyard/core";
import {
  type AttemptOutcome,
  type JobRuntime,
  type StepAttemptOutcome,
  toMilliseconds,
} from "@switchyard/core/adapter";
import {
  type JobHelpers,
  type Logger,
  runTaskList,
  type Task,
  type TaskList,
  type WorkerPool,
} from "graphile-worker";
import type { Pool } from "pg";
import { interruptibleSleep, settledWithin } from "./bounded-wait.js";
import { toBackendError } from "./connection-errors.js";
import {
  type OutcomeWrites,
  type RetryScope,
  retryOutcomeWrites,
  retryWhileTransient,
} from "./outcome-retries.js";
import { PostgresStepStore } from "./step-store.js";
import { recordSuspension, suspendedRelease } from "./suspend-job.js";

/** What graphile-worker sets `process.exitCode` to when a breaking migration is announced. */
const BREAKING_MIGRATION_EXIT_CODE = 57;
/**
 * How long, after the stop's timeout aborted the attempts still running (or at once for a stop without
 * grace), the worker waits for their outcomes to be stored before giving up on an unreachable database.
 */
const OUTCOME_GRACE_MS = 1_000;
/** How long a stop without a timeout waits for graphile-worker's outcome writes to land (a lock-free pool). */
const RELEASE_WAIT_MS = 10_000;
/** The least time given to detaching the pool (deleting its heartbeat row) once the stop's time is up. */
const DETACH_WAIT_MS = 200;

/** What a worker needs from its backend. */
export interface WorkerHost {
  readonly runtime: JobRuntime;
  readonly pool: Pool;
  /** graphile-worker's schema, unquoted. */
  readonly schemaName: string;
  /** The same, quoted for SQL. */
  readonly schema: string;
  readonly pollIntervalMs: number;
  readonly graphileLogger: Logger;
  readonly graphilePreset?: GraphileConfig.Preset;
  /** Resolves once the schema is installed. */
  ready(): Promise<void>;
  /** Starts the shared background services for a new pool (heartbeat, notifications, schedules). */
  attachPool(workerPool: WorkerPool, worker: PostgresWorker): Promise<void>;
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
export class PostgresWorker implements PostgresWorkerHandle {
  readonly ready: Promise<void>;
  readonly #host: WorkerHost;
  readonly #concurrency: number;
  readonly #running = new Map<string, RunningAttempt>();
  /** Each pool's outcome writes in flight. */
  readonly #outcomeWrites = new WeakMap<WorkerPool, OutcomeWrites>();
  #workerPool?: WorkerPool;
  #state: "starting" | "running" | "stopping" | "stopped" = "starting";
  /** Set when running attempts were abandoned: attempts that start later are abandoned the same way. */
  #abandon?: "stopped" | "crashed";
  /** Set when the worker stopped (or crashed) without storing every outcome: pending writes give up. */
  #writesAbandoned = false;
  readonly #retryScope: RetryScope;
  /** graphile-worker's schema revision when the worker started. */
  #revision = 0;
  /** `process.exitCode` when the worker started. */
  #exitCode: typeof process.exitCode;
  #relaunching?: Promise<void>;
  #wakeRelaunch?: () => void;
  #stopped?: Promise<void>;
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
    this.#revision = await this.#host.schemaRevision();
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
    const workerPool = runTaskList(
      {
        schema: this.#host.schemaName,
        concurrency: this.#concurrency,
        pollInterval: this.#host.pollIntervalMs,
        noHandleSignals: true,
        logger: this.#host.graphileLogger,
        preset: this.#host.graphilePreset,
        forbiddenFlags: () => (registered ? null : gate),
      },
      tasks,
      this.#host.pool,
    );
    this.#outcomeWrites.set(workerPool, retryOutcomeWrites(workerPool, this.#retryScope));
    this.#workerPool = workerPool;
    const ended = () => this.#poolEnded(workerPool);
    workerPool.promise.then(ended, ended);
    try {
      await this.#host.attachPool(workerPool, this);
    } catch (error) {
      this.#workerPool = undefined;
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
    const released = await this.#outcomesStored(ended, Date.now() + RELEASE_WAIT_MS);
    await this.#host.detachPool(ended, this, { crashed: !released });
    for (let delay = 500; this.#state === "running"; delay = Math.min(delay * 2, 30_000)) {
      try {
        const revision = await this.#host.schemaRevision();
        if (revision !== this.#revision) {
          logger.error(
            `postgres: graphile-worker stopped this worker: schema "${this.#host.schemaName}" was migrated to revision ${revision} by another process`,
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

  stop(options: StopOptions = {}): Promise<void> {
    this.#stopped ??= this.#stop(options).finally(() => this.#letProcessExit());
    return this.#stopped;
  }

  /**
   * Stops taking jobs and waits for the running ones: for ever when graceful without a timeout; until the
   * timeout, then their signal aborts and they go back to the queue; at once without grace. Their outcomes
   * get `OUTCOME_GRACE_MS` more to be stored, then a database that does not answer is given up on (the
   * locks left are freed by stalled-job recovery): with a timeout, or without grace, `stop()` resolves
   * within about a second of it whatever the database does.
   */
  async #stop(options: StopOptions): Promise<void> {
    const graceful = options.graceful ?? true;
    const timeoutMs =
      graceful && options.timeout !== undefined
        ? toMilliseconds(options.timeout, "stop(): timeout")
        : undefined;
    const abortAt = !graceful
      ? Date.now()
      : timeoutMs === undefined
        ? Number.POSITIVE_INFINITY
        : Date.now() + timeoutMs;
    const giveUpAt = abortAt + OUTCOME_GRACE_MS;
    const left = (until: number) => Math.max(0, until - Date.now());

    await settledWithin(this.ready, left(giveUpAt));
    if (this.#state === "stopped") return;
    this.#state = "stopping";
    this.#wakeRelaunch?.();
    if (this.#relaunching) await settledWithin(this.#relaunching, left(giveUpAt));
    const workerPool = this.#workerPool;
    if (!workerPool) {
      this.#state = "stopped";
      return;
    }
    if (!graceful) this.#abortAll("stopped");
    const shutdown = Promise.resolve(workerPool.gracefulShutdown("Switchyard worker stopping")).catch(
      () => {},
    );
    if (!(await settledWithin(shutdown, left(abortAt)))) this.#abortAll("stopped");
    // A lock still held (the database went away) stays recoverable: the heartbeat row is left to age.
    const released =
      (await settledWithin(shutdown, left(giveUpAt))) &&
      (await this.#outcomesStored(workerPool, Math.min(giveUpAt, Date.now() + RELEASE_WAIT_MS)));
    this.#state = "stopped";
    if (!released) {
      this.#writesAbandoned = true;
      this.#host.runtime.logger.warn(
        "postgres: the worker stopped before the outcome of every job was stored (the database did not answer); those jobs run again after stalledAfter",
      );
    }
    await settledWithin(
      this.#host.detachPool(workerPool, this, { crashed: !released }),
      Math.max(DETACH_WAIT_MS, Math.min(left(giveUpAt), RELEASE_WAIT_MS)),
    );
  }

  async crash(): Promise<void> {
    await this.ready.catch(() => {});
    await this.#relaunching;
    const workerPool = this.#workerPool;
    if (this.#state !== "running" || !workerPool) return;
    this.#state = "stopped";
    this.#stopped = Promise.resolve();
    this.#writesAbandoned = true;
    this.#letProcessExit();
    this.#abortAll("crashed");
    // Stops fetching and listening; the abandoned tasks never settle, so graphile-worker never releases them.
    void Promise.resolve(workerPool.gracefulShutdown("Switchyard worker crashed")).catch(() => {});
    await this.#host.detachPool(workerPool, this, { crashed: true });
  }

  /**
   * graphile-worker writes a job's completion or failure after its task returns, without waiting for it,
   * and its shutdown does not wait either: once the pool has shut down, wait until those writes have
   * landed, so that `stop()` resolves once every outcome is stored. False when some are still failing at
   * `until` (the database is unreachable): their jobs' locks are left to stalled-job recovery.
   */
  async #outcomesStored(workerPool: WorkerPool, until: number): Promise<boolean> {
    const writes = this.#outcomeWrites.get(workerPool);
    return !writes || (await settledWithin(writes.drained(), Math.max(0, until - Date.now())));
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
    this.#running.set(id, attempt);
    let outcome: StepAttemptOutcome;
    let steps: PostgresStepStore | undefined;
    try {
      steps = await PostgresStepStore.open(this.#host, job, this.#retryScope);
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
  async #recordOutcome(
    id: string,
    kind: "retry" | "failed" | "permanent" | "released" | "cancelled",
    error: JobError,
    delayMs?: number,
  ): Promise<void> {
    const S = this.#host.schema;
    await retryWhileTransient(
      () =>
        this.#host.pool.query({
          name: `switchyard_outcome/${this.#host.schemaName}`,
          text: `insert into ${S}.switchyard_job_state (job_id, outcome, outcome_run_at, error)
                 values ($1::bigint, $2::text, now() + $3::float8 * interval '1 millisecond', $4::json)
                 on conflict (job_id) do update set
                   outcome = excluded.outcome, outcome_run_at = excluded.outcome_run_at, error = excluded.error`,
          values: [id, kind, delayMs ?? 0, JSON.stringify(error)],
        }),
      this.#retryScope,
      `storing the outcome of job ${id}`,
    );
  }

  /** The handler's result, stored before graphile-worker deletes the job (written again until the database answers). */
  async #recordResult(id: string, result: unknown): Promise<void> {
    const S = this.#host.schema;
    await retryWhileTransient(
      () =>
        this.#host.pool.query({
          name: `switchyard_result/${this.#host.schemaName}`,
          text: `insert into ${S}.switchyard_job_state (job_id, result) values ($1::bigint, $2::json)
                 on conflict (job_id) do update set result = excluded.result`,
          values: [id, JSON.stringify(result)],
        }),
      this.#retryScope,
      `storing the result of job ${id}`,
    );
  }

  /** `ctx.progress()`: a lost connection is a BackendUnavailableError for the handler to handle. */
  async #writeProgress(id: string, value: JobProgress): Promise<void> {
    const S = this.#host.schema;
    try {
      await this.#host.pool.query({
        name: `switchyard_progress/${this.#host.schemaName}`,
        text: `insert into ${S}.switchyard_job_state (job_id, progress) values ($1::bigint, $2::json)
               on conflict (job_id) do update set progress = excluded.progress`,
        values: [id, JSON.stringify(value)],
      });
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
