import { ConfigError, silentLogger } from "@switchyard/core";
import type { JobRuntime } from "@switchyard/core/adapter";
import { type Logger, runMigrations, type WorkerPool } from "graphile-worker";
import pg from "pg";
import {
  ADAPTER_SCHEMA_VERSION,
  installedAdapterVersion,
  migrateAdapterSchema,
  REQUIRED_SCHEMA_VERSION,
} from "./adapter-schema.js";
import { settledWithin } from "./bounded-wait.js";
import { ConcurrencyLanes } from "./concurrency-lanes.js";
import { toBackendError } from "./connection-errors.js";
import { DueTimeNudger } from "./due-time-nudger.js";
import { graphileLogger } from "./graphile-logger.js";
import {
  type AdapterNotification,
  NotificationListener,
  notificationPayload,
} from "./notification-listener.js";
import type { ResolvedPostgresOptions } from "./postgres-options.js";
import type { PostgresWorker, WorkerHost } from "./postgres-worker.js";
import { ScheduleRunner } from "./schedule-runner.js";
import { schemaRevision } from "./sql/schema-revision.js";
import { storeConcurrencyLimit } from "./sql/store-concurrency-limit.js";
import { WorkerMaintenance } from "./worker-maintenance.js";

/** How long `close()` waits for each step (services, the pool's connections) when the database does not answer. */
const CLOSE_WAIT_MS = 2_000;

/** What runs while at least one worker of this backend runs. */
interface Services {
  listener: NotificationListener;
  maintenance: WorkerMaintenance;
  schedules: ScheduleRunner;
}

/**
 * What a PostgreSQL backend holds over its life: the `pg` pool (made on first use), the schema's
 * installation, its workers and the services they share while any runs (the notification listener, the
 * heartbeat and stalled-job recovery, the schedule runner, the due-time nudger), and closing all of it.
 */
export class BackendLifecycle implements WorkerHost {
  readonly options: ResolvedPostgresOptions;
  readonly lanes = new ConcurrencyLanes();
  readonly #workers = new Set<PostgresWorker>();
  readonly #nudger = new DueTimeNudger((count) => {
    for (const worker of this.#workers) worker.nudge(count);
  });
  #runtime?: JobRuntime;
  #graphileLogger?: Logger;
  #pool?: pg.Pool;
  #installed?: Promise<void>;
  #services?: Services;
  /** Serialises starting and stopping the shared services. */
  #servicesChain: Promise<unknown> = Promise.resolve();

  constructor(options: ResolvedPostgresOptions) {
    this.options = options;
  }

  get schema(): string {
    return this.options.schema;
  }

  get pollIntervalMs(): number {
    return this.options.pollIntervalMs;
  }

  get graphilePreset(): GraphileConfig.Preset | undefined {
    return this.options.graphilePreset;
  }

  attach(runtime: JobRuntime): void {
    this.#runtime = runtime;
  }

  get runtime(): JobRuntime {
    if (!this.#runtime) throw new ConfigError("the postgres backend is not attached to a client");
    return this.#runtime;
  }

  get logger() {
    return this.#runtime?.logger ?? silentLogger;
  }

  /** The pool: the one given in the options, or one made on first use (ended by `close()`). */
  get pool(): pg.Pool {
    if (this.#pool) return this.#pool;
    if (this.options.pool) {
      this.#pool = this.options.pool;
      return this.#pool;
    }
    const pool = new pg.Pool({
      connectionString: this.options.connectionString,
      max: this.options.maxPoolSize,
      connectionTimeoutMillis: this.options.connectionTimeoutMillis,
      // Idle connections do not keep the process alive: a producer, or a worker that could not start,
      // exits once it has nothing left to do (a running worker holds its LISTEN connection and timers).
      allowExitOnIdle: true,
    });
    // Without these a connection dropped by the server (a restart) would end the process: `pg` emits
    // `error` on the pool for an idle one, and on the client for a checked-out one between queries.
    pool.on("error", (error) =>
      this.logger.warn("postgres: idle connection error", { error: error.message }),
    );
    pool.on("connect", (client) => client.on("error", () => {}));
    this.#pool = pool;
    return pool;
  }

  get graphileLogger(): Logger {
    this.#graphileLogger ??= graphileLogger(this.logger);
    return this.#graphileLogger;
  }

  /**
   * Resolves once the schema is installed or migrated, or with `migrate: false` once it is found installed
   * at REQUIRED_SCHEMA_VERSION or newer (once; a failure is tried again on the next call).
   */
  ready(): Promise<void> {
    this.#installed ??= (this.options.migrate ? this.#installSchema() : this.#checkInstalled()).catch(
      (error: unknown) => {
        this.#installed = undefined;
        throw error;
      },
    );
    return this.#installed;
  }

  /** Installs or migrates the schema now, whatever `migrate` says (`backend.migrate()`, at deploy). */
  async install(): Promise<void> {
    await this.#installSchema();
    this.#installed = Promise.resolve();
  }

  async schemaRevision(): Promise<number> {
    try {
      return await schemaRevision(this.pool, this.schema);
    } catch (error) {
      throw this.notInstalled(error) ?? toBackendError(error, "reading the schema's revision");
    }
  }

  /**
   * Stores the concurrency limit of each job this worker runs, as its definition gives it, where every
   * process reads it: the workers' definition decides the lanes, whoever enqueues. A limit that changes
   * one another process stored is logged: the jobs already waiting are spread over the new lanes.
   */
  async storeConcurrencyLimits(): Promise<void> {
    // One statement (one transaction) a job, in name order: never two of its locks held at once.
    for (const name of [...this.runtime.jobs.keys()].sort()) {
      const limit = this.runtime.jobs.get(name)!.concurrency ?? null;
      try {
        const { changed, previous } = await storeConcurrencyLimit(this.pool, this.schema, name, limit);
        if (changed && previous !== undefined) {
          this.logger.warn(
            `postgres: job "${name}": concurrency ${limit ?? "unlimited"} replaces ${previous ?? "unlimited"}, stored by a worker with another definition; the waiting jobs follow the new limit`,
          );
        }
      } catch (error) {
        throw this.notInstalled(error) ?? toBackendError(error, "storing the jobs' concurrency limits");
      }
    }
  }

  /** Registers a worker's pool and starts the shared services with the first one. */
  attachPool(
    workerPool: WorkerPool,
    worker: PostgresWorker,
    options: { recordsStarted: boolean },
  ): Promise<void> {
    this.#workers.add(worker);
    const attached = this.#servicesChain.then(async () => {
      const services = this.#services ?? (await this.#startServices());
      await services.maintenance.add(workerPool.id, options);
    });
    this.#servicesChain = attached.catch(() => {});
    return attached;
  }

  /** Stops heartbeating a pool; the services stop with the last one. */
  detachPool(workerPool: WorkerPool, worker: PostgresWorker, options: { crashed: boolean }): Promise<void> {
    this.#workers.delete(worker);
    const detached = this.#servicesChain.then(async () => {
      const services = this.#services;
      if (!services) return;
      await services.maintenance.remove(workerPool.id, options);
      if (this.#workers.size === 0) await this.#stopServices();
    });
    this.#servicesChain = detached.catch(() => {});
    return detached;
  }

  nudgeAt(at: number): void {
    this.#nudger.at(at);
  }

  /** A notification to the workers of this schema, in any process. */
  notification(body: Omit<AdapterNotification, "s">): string {
    return notificationPayload(this.schema, body);
  }

  /**
   * Stops the workers without grace and ends the pool it made. Resolves even when the database does not
   * answer: each step is bounded, and what is left (a connection the server never closes) does not keep
   * the process alive.
   */
  async close(): Promise<void> {
    for (const worker of [...this.#workers]) await worker.stop({ graceful: false });
    await settledWithin(this.#servicesChain, CLOSE_WAIT_MS);
    await settledWithin(this.#stopServices(), CLOSE_WAIT_MS);
    if (this.#pool && !this.options.pool) {
      await settledWithin(
        this.#pool.end().catch(() => {}),
        CLOSE_WAIT_MS,
      );
    }
  }

  /**
   * With `migrate: false`: a ConfigError unless the adapter's objects are installed at REQUIRED_SCHEMA_VERSION
   * or a newer one. An older version lacks what this code relies on (schema version 6: recovery marks the
   * jobs it gives an attempt back, which then wait for their start record), so it is refused, not run.
   */
  async #checkInstalled(): Promise<void> {
    let installed: number;
    try {
      installed = await installedAdapterVersion(this.pool, this.schema);
    } catch (error) {
      throw this.notInstalled(error) ?? toBackendError(error, "reading the schema's version");
    }
    if (installed < REQUIRED_SCHEMA_VERSION) {
      throw new ConfigError(
        `postgres(): schema "${this.schema}" has adapter schema version ${installed}, older than the ${REQUIRED_SCHEMA_VERSION} this adapter needs (migrate: false; it installs ${ADAPTER_SCHEMA_VERSION}): run backend.migrate() at deploy`,
      );
    }
    if (installed < ADAPTER_SCHEMA_VERSION) {
      this.logger.info(
        `postgres: schema "${this.schema}" has adapter schema version ${installed}; this adapter runs on it, and backend.migrate() would bring it to ${ADAPTER_SCHEMA_VERSION} (migrate: false)`,
      );
    }
  }

  /** A ConfigError when `error` says the schema is not installed (with `migrate: false`). */
  notInstalled(error: unknown): ConfigError | undefined {
    const code = (error as { code?: unknown })?.code;
    if (code !== "42P01" && code !== "3F000" && code !== "42883") return undefined;
    return new ConfigError(
      `postgres(): schema "${this.schema}" is not installed, or older than this adapter${this.options.migrate ? "" : " (migrate: false)"}: run backend.migrate() at deploy`,
      { cause: error },
    );
  }

  /** graphile-worker's migrations, then the adapter's objects; a failure is a BackendError. */
  async #installSchema(): Promise<void> {
    try {
      await runMigrations({ pgPool: this.pool, schema: this.schema, logger: this.graphileLogger });
      const client = await this.pool.connect();
      try {
        const migration = await migrateAdapterSchema(client, this.schema);
        if (migration.action === "newer") {
          this.logger.warn(
            `postgres: schema "${this.schema}" has adapter schema version ${migration.installed}, newer than this process's ${ADAPTER_SCHEMA_VERSION}; left as it is (update this process)`,
          );
        }
      } finally {
        client.release();
      }
    } catch (error) {
      throw toBackendError(error, "installing the schema");
    }
  }

  async #startServices(): Promise<Services> {
    const listener = new NotificationListener({
      config: this.options.pool
        ? { ...(this.options.pool.options as pg.ClientConfig) }
        : {
            connectionString: this.options.connectionString,
            connectionTimeoutMillis: this.options.connectionTimeoutMillis,
          },
      schema: this.schema,
      onNotification: (notification) => this.#onNotification(notification),
      onReconnect: () => {
        services.schedules.wake();
        for (const worker of this.#workers) worker.nudge(Number.MAX_SAFE_INTEGER);
      },
      logger: this.logger,
    });
    const maintenance = new WorkerMaintenance({
      query: (text, values) => (listener.client ?? this.pool).query(text, values),
      schema: this.schema,
      stalledAfterMs: this.options.stalledAfterMs,
      keepFinishedMs: this.options.keepFinishedMs,
      logger: this.logger,
    });
    const schedules = new ScheduleRunner({
      pool: this.pool,
      schema: this.schema,
      jobs: this.runtime.jobs,
      lanes: this.lanes,
      logger: this.logger,
    });
    const services: Services = { listener, maintenance, schedules };
    await listener.start();
    this.#services = services;
    schedules.start();
    return services;
  }

  async #stopServices(): Promise<void> {
    const services = this.#services;
    if (!services) return;
    this.#services = undefined;
    this.#nudger.clear();
    await services.schedules.stop();
    await services.maintenance.stop();
    await services.listener.stop();
  }

  #onNotification(notification: AdapterNotification): void {
    if (notification.cancel !== undefined) {
      for (const worker of this.#workers) worker.cancel(notification.cancel);
    }
    if (notification.due) for (const [at, count] of notification.due) this.#nudger.at(at, count);
    if (notification.schedules) this.#services?.schedules.wake();
  }
}
