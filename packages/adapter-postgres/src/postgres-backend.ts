import {
  type Backend,
  ConfigError,
  type EnqueueResult,
  type JobCounts,
  type JobPage,
  type JobSnapshot,
  type JobState,
  type ScheduleEntry,
  type WorkerOptions,
} from "@switchyard/core";
import type { EnqueueRequest, JobRuntime } from "@switchyard/core/adapter";
import { BackendLifecycle } from "./backend-lifecycle.js";
import { CoalescedEnqueue } from "./coalesced-enqueue.js";
import { toBackendError } from "./connection-errors.js";
import { enqueueJobs, payloadJson } from "./enqueue-jobs.js";
import { listJobPage } from "./job-listing.js";
import { toJobSnapshot } from "./job-snapshot.js";
import { postgresCapabilities } from "./postgres-capabilities.js";
import { type PostgresOptions, resolvePostgresOptions } from "./postgres-options.js";
import { PostgresWorker } from "./postgres-worker.js";
import { nextFire, toScheduleEntry } from "./schedule-runner.js";
import { cancelJob } from "./sql/cancel-job.js";
import { countJobs } from "./sql/count-jobs.js";
import { getJob } from "./sql/get-job.js";
import { listFailedJobs } from "./sql/list-failed-jobs.js";
import { listSchedules } from "./sql/list-schedules.js";
import { removeSchedule } from "./sql/remove-schedule.js";
import { retryFailedJobs } from "./sql/retry-failed-jobs.js";
import { retryJob } from "./sql/retry-job.js";
import { taskNames } from "./sql/task-names.js";
import { upsertSchedule } from "./sql/upsert-schedule.js";
import { TRANSACTIONAL, transactionClientFor } from "./transaction-scope.js";

/** graphile-worker stores attempts and priorities as smallint. */
const SMALLINT_MAX = 32_767;
const MAX_BIGINT = 9_223_372_036_854_775_807n;

/**
 * The PostgreSQL backend: Switchyard jobs on graphile-worker 0.17. The pool is created lazily; the schema
 * is installed or migrated on first use. Jobs run in workers started with `jobs.work()`.
 */
export function postgres(options: PostgresOptions): PostgresBackend {
  return new PostgresBackend(options);
}

/**
 * The Backend methods, each one statement of `sql/` (enqueueing is enqueue-jobs.ts); the pool, the
 * schema's installation and the workers' shared services are the lifecycle's (backend-lifecycle.ts).
 */
export class PostgresBackend implements Backend {
  readonly capabilities = postgresCapabilities;
  readonly [TRANSACTIONAL] = true;
  readonly #lifecycle: BackendLifecycle;
  readonly #coalesced: CoalescedEnqueue;

  constructor(options: PostgresOptions) {
    this.#lifecycle = new BackendLifecycle(resolvePostgresOptions(options));
    this.#coalesced = new CoalescedEnqueue((requests) => enqueueJobs(this.#lifecycle, requests, undefined));
  }

  /** graphile-worker's schema, which also holds the adapter's tables. */
  get schema(): string {
    return this.#lifecycle.schema;
  }

  attach(runtime: JobRuntime): void {
    for (const job of runtime.jobs.values()) {
      if (job.retry.maxAttempts > SMALLINT_MAX) {
        throw new ConfigError(
          `job "${job.name}": retry.maxAttempts must be at most ${SMALLINT_MAX} on the postgres backend`,
        );
      }
    }
    this.#lifecycle.attach(runtime);
  }

  /**
   * Installs or migrates the schema now, also with `migrate: false` (at deploy); otherwise it happens on
   * first use.
   */
  migrate(): Promise<void> {
    return this.#lifecycle.install();
  }

  enqueue(requests: ReadonlyArray<EnqueueRequest>): Promise<EnqueueResult[]> {
    const transaction = transactionClientFor(this);
    if (!transaction && CoalescedEnqueue.accepts(requests)) return this.#coalesced.enqueue(requests[0]!);
    return enqueueJobs(this.#lifecycle, requests, transaction);
  }

  async get(id: string): Promise<JobSnapshot | undefined> {
    if (!isJobId(id)) return undefined;
    const row = await this.#query("get", () => getJob(this.#lifecycle.pool, this.schema, id));
    return row && toJobSnapshot(row);
  }

  async cancel(id: string): Promise<boolean> {
    if (!isJobId(id)) return false;
    const notification = this.#lifecycle.notification({ cancel: id });
    return this.#query("cancel", () => cancelJob(this.#lifecycle.pool, this.schema, id, notification));
  }

  async retry(id: string): Promise<boolean> {
    if (!isJobId(id)) return false;
    return this.#query("retry", () => retryJob(this.#lifecycle.pool, this.schema, id));
  }

  /** Only the client's own jobs (other apps may share the schema); a client with no jobs (the CLI) sees all. */
  async listFailed(options: { job?: string; limit: number }): Promise<JobSnapshot[]> {
    const names = [...this.#lifecycle.runtime.jobs.keys()];
    const rows = await this.#query("listFailed", () =>
      listFailedJobs(this.#lifecycle.pool, this.schema, { names, job: options.job, limit: options.limit }),
    );
    return rows.map(toJobSnapshot);
  }

  /** Without `job`: the client's own jobs, as listFailed (other apps may share the schema). */
  counts(options: { job?: string }): Promise<JobCounts> {
    return this.#query("counts", async () =>
      countJobs(this.#lifecycle.pool, this.schema, await this.#namesOf(options)),
    );
  }

  list(options: { state: JobState; job?: string; limit: number; cursor?: string }): Promise<JobPage> {
    return this.#query("list", async () => {
      const page = { state: options.state, names: await this.#namesOf(options), limit: options.limit };
      return listJobPage(this.#lifecycle.pool, this.schema, { ...page, cursor: options.cursor });
    });
  }

  retryFailed(options: { job?: string; limit: number }): Promise<string[]> {
    return this.#query("retryFailed", async () => {
      const names = await this.#namesOf(options);
      return retryFailedJobs(this.#lifecycle.pool, this.schema, { names, limit: options.limit });
    });
  }

  async upsertSchedule(entry: ScheduleEntry, options: { declared: boolean }): Promise<void> {
    const stored = {
      declared: options.declared,
      payloadJson: payloadJson(entry.payload),
      nextRunAt: nextFire(entry, Date.now()),
      notification: this.#lifecycle.notification({ schedules: true }),
    };
    await this.#query("upsertSchedule", () =>
      upsertSchedule(this.#lifecycle.pool, this.schema, entry, stored),
    );
  }

  removeSchedule(id: string): Promise<boolean> {
    return this.#query("removeSchedule", () => removeSchedule(this.#lifecycle.pool, this.schema, id));
  }

  async listSchedules(): Promise<ScheduleEntry[]> {
    const rows = await this.#query("listSchedules", () => listSchedules(this.#lifecycle.pool, this.schema));
    return rows.map(toScheduleEntry);
  }

  /** Core wraps it: the app gets a PostgresWorkerHandle. */
  work(options: Required<WorkerOptions>): PostgresWorker {
    return new PostgresWorker(this.#lifecycle, options.concurrency);
  }

  close(): Promise<void> {
    return this.#lifecycle.close();
  }

  /**
   * The job names a call covers: `job`, registered here or not, else the client's own; for a client
   * with no jobs (an operator's: the CLI, the dashboard), every job of the schema.
   */
  async #namesOf(options: { job?: string }): Promise<string[]> {
    if (options.job !== undefined) return [options.job];
    const own = [...this.#lifecycle.runtime.jobs.keys()];
    return own.length > 0 ? own : taskNames(this.#lifecycle.pool, this.schema);
  }

  /**
   * Runs `statement` once the schema is installed; a connection failure is a BackendUnavailableError, a
   * schema that is not there (`migrate: false`) a ConfigError that says so.
   */
  async #query<T>(operation: string, statement: () => Promise<T>): Promise<T> {
    await this.#lifecycle.ready();
    try {
      return await statement();
    } catch (error) {
      throw this.#lifecycle.notInstalled(error) ?? toBackendError(error, operation);
    }
  }
}

function isJobId(id: string): boolean {
  return typeof id === "string" && /^\d{1,19}$/.test(id) && BigInt(id) <= MAX_BIGINT;
}
