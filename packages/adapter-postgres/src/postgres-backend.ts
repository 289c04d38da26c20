import {
  type Backend,
  ConfigError,
  type EnqueueResult,
  type JobSnapshot,
  type ScheduleEntry,
  silentLogger,
  type WorkerOptions,
} from "@switchyard/core";
import type { EnqueueRequest, JobRuntime } from "@switchyard/core/adapter";
import { type Logger, runMigrations, type WorkerPool } from "graphile-worker";
import pg from "pg";
import { migrateAdapterSchema, quoteIdentifier } from "./adapter-schema.js";
import { settledWithin } from "./bounded-wait.js";
import { ConcurrencyLanes } from "./concurrency-lanes.js";
import { isConnectionError, toBackendError, wasNeverSent } from "./connection-errors.js";
import { DueTimeNudger } from "./due-time-nudger.js";
import { graphileLogger } from "./graphile-logger.js";
import { FINISHED_JOB_COLUMNS, type JobRow, LIVE_JOB_COLUMNS, snapshotOf } from "./job-snapshot.js";
import { type AdapterNotification, NOTIFY_CHANNEL, NotificationListener } from "./notification-listener.js";
import { postgresCapabilities } from "./postgres-capabilities.js";
import {
  type PostgresOptions,
  type ResolvedPostgresOptions,
  resolvePostgresOptions,
} from "./postgres-options.js";
import { PostgresWorker, type PostgresWorkerHandle, type WorkerHost } from "./postgres-worker.js";
import { nextFire, ScheduleRunner, scheduleEntryOf } from "./schedule-runner.js";
import { stepIdsColumn } from "./sql/step-ids.js";
import { TRANSACTIONAL, transactionClientFor } from "./transaction-scope.js";
import { WorkerMaintenance } from "./worker-maintenance.js";

/** The PostgreSQL backend, with what it offers beyond the Backend contract. */
export interface PostgresBackend extends Backend {
  /** graphile-worker's schema (unquoted). */
  readonly schema: string;
  /** Installs or migrates the schema now; otherwise it happens on first use. */
  migrate(): Promise<void>;
  work(options: Required<WorkerOptions>): PostgresWorkerHandle;
}

/** graphile-worker stores attempts and priorities as smallint. */
const SMALLINT_MAX = 32_767;
const MAX_BIGINT = 9_223_372_036_854_775_807n;
/** How long `close()` waits for the pool's connections to end when the database does not answer. */
const CLOSE_WAIT_MS = 2_000;

/**
 * The PostgreSQL backend: Switchyard jobs on graphile-worker 0.17. The pool is created lazily; the schema
 * is installed or migrated on first use. Jobs run in workers started with `jobs.work()`.
 */
export function postgres(options: PostgresOptions): PostgresBackend {
  return new PostgresBackendImpl(options);
}

type Queryable = Pick<pg.ClientBase, "query">;

/** What runs while at least one worker of this backend runs. */
interface Services {
  listener: NotificationListener;
  maintenance: WorkerMaintenance;
  schedules: ScheduleRunner;
}

class PostgresBackendImpl implements PostgresBackend, WorkerHost {
  readonly capabilities = postgresCapabilities;
  readonly [TRANSACTIONAL] = true;
  readonly schema: string;
  readonly schemaName: string;
  readonly pollIntervalMs: number;
  readonly graphilePreset?: GraphileConfig.Preset;
  readonly #options: ResolvedPostgresOptions;
  readonly #S: string;
  readonly #lanes = new ConcurrencyLanes();
  readonly #workers = new Set<PostgresWorker>();
  readonly #nudger = new DueTimeNudger((count) => {
    for (const worker of this.#workers) worker.nudge(count);
  });
  #runtime?: JobRuntime;
  #graphileLogger?: Logger;
  #pool?: pg.Pool;
  #ready?: Promise<void>;
  #closed = false;
  #services?: Services;
  /** Serialises starting and stopping the shared services. */
  #servicesChain: Promise<unknown> = Promise.resolve();

  constructor(options: PostgresOptions) {
    this.#options = resolvePostgresOptions(options);
    this.schemaName = this.#options.schema;
    this.schema = this.schemaName;
    this.#S = quoteIdentifier(this.schemaName);
    this.pollIntervalMs = this.#options.pollIntervalMs;
    if (this.#options.graphilePreset) this.graphilePreset = this.#options.graphilePreset;
  }

  // ---- WorkerHost ----

  get runtime(): JobRuntime {
    if (!this.#runtime) throw new ConfigError("the postgres backend is not attached to a client");
    return this.#runtime;
  }

  get pool(): pg.Pool {
    if (this.#pool) return this.#pool;
    this.#assertOpen();
    if (this.#options.pool) {
      this.#pool = this.#options.pool;
      return this.#pool;
    }
    const pool = new pg.Pool({
      connectionString: this.#options.connectionString,
      max: this.#options.maxPoolSize,
      connectionTimeoutMillis: this.#options.connectionTimeoutMillis,
      // Idle connections do not keep the process alive: a producer, or a worker that could not start,
      // exits once it has nothing left to do (a running worker holds its LISTEN connection and timers).
      allowExitOnIdle: true,
    });
    // Without these a connection dropped by the server (a restart) would end the process: `pg` emits
    // `error` on the pool for an idle one, and on the client for a checked-out one between queries.
    pool.on("error", (error) =>
      this.#logger.warn("postgres: idle connection error", { error: error.message }),
    );
    pool.on("connect", (client) => client.on("error", () => {}));
    this.#pool = pool;
    return pool;
  }

  get graphileLogger(): Logger {
    this.#graphileLogger ??= graphileLogger(this.#logger);
    return this.#graphileLogger;
  }

  ready(): Promise<void> {
    this.#ready ??= this.#install().catch((error: unknown) => {
      this.#ready = undefined;
      throw toBackendError(error, "installing the schema");
    });
    return this.#ready;
  }

  /** A ConfigError when `error` says the schema is not installed (with `migrate: false`). */
  #notInstalled(error: unknown): ConfigError | undefined {
    const code = (error as { code?: unknown })?.code;
    if (code !== "42P01" && code !== "3F000") return undefined;
    return new ConfigError(
      `postgres(): schema "${this.schemaName}" is not installed${this.#options.migrate ? "" : " (migrate: false)"}: run backend.migrate() at deploy`,
      { cause: error },
    );
  }

  attachPool(workerPool: WorkerPool, worker: PostgresWorker): Promise<void> {
    this.#workers.add(worker);
    const attached = this.#servicesChain.then(async () => {
      const services = this.#services ?? (await this.#startServices());
      await services.maintenance.add(workerPool.id);
    });
    this.#servicesChain = attached.catch(() => {});
    return attached;
  }

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

  async schemaRevision(): Promise<number> {
    try {
      const { rows } = await this.pool.query<{ id: number | null }>(
        `select max(id) as id from ${this.#S}.migrations`,
      );
      return rows[0]?.id ?? 0;
    } catch (error) {
      throw this.#notInstalled(error) ?? toBackendError(error, "reading the schema's revision");
    }
  }

  // ---- Backend ----

  attach(runtime: JobRuntime): void {
    if (this.#runtime)
      throw new ConfigError("a postgres backend serves one client; call postgres() for each");
    for (const job of runtime.jobs.values()) {
      if (job.retry.maxAttempts > SMALLINT_MAX) {
        throw new ConfigError(
          `job "${job.name}": retry.maxAttempts must be at most ${SMALLINT_MAX} on the postgres backend`,
        );
      }
    }
    this.#runtime = runtime;
  }

  migrate(): Promise<void> {
    return this.ready();
  }

  /**
   * Enqueues in one statement (one job, or unkeyed jobs in one `add_jobs`), or, for several keyed jobs, in
   * one transaction (all or nothing). A connection failure is a BackendUnavailableError whose `stored`
   * says `"no"` when the storing statement (the only one, or the COMMIT) was never sent, `"unknown"` when
   * it was sent and the answer was lost (the server may have committed).
   */
  async enqueue(requests: ReadonlyArray<EnqueueRequest>): Promise<EnqueueResult[]> {
    this.#assertOpen();
    const transaction = transactionClientFor(this);
    await this.ready();
    if (transaction) {
      // Nothing is stored unless the caller's transaction commits, which a lost connection prevents.
      try {
        return await this.#enqueueOn(transaction, requests, false);
      } catch (error) {
        throw toBackendError(error, "enqueue", "no");
      }
    }
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw toBackendError(error, "enqueue", "no");
    }
    const oneStatement =
      requests.length === 1 || requests.every((request) => request.idempotencyKey === undefined);
    let inTransaction = false;
    let storing = false;
    try {
      let results: EnqueueResult[];
      if (oneStatement) {
        storing = true;
        results = await this.#enqueueOn(client, requests, true);
      } else {
        inTransaction = true;
        await client.query("begin");
        results = await this.#enqueueOn(client, requests, true);
        storing = true;
        await client.query("commit");
      }
      client.release();
      return results;
    } catch (error) {
      const lost = isConnectionError(error);
      if (inTransaction && !lost) await client.query("rollback").catch(() => {});
      // A broken connection is destroyed, not handed to the next caller.
      client.release(lost ? (error as Error) : undefined);
      throw toBackendError(error, "enqueue", storing && !wasNeverSent(error) ? "unknown" : "no");
    }
  }

  async #enqueueOn(
    target: Queryable,
    requests: ReadonlyArray<EnqueueRequest>,
    prepared: boolean,
  ): Promise<EnqueueResult[]> {
    if (requests.length > 1 && requests.every((request) => request.idempotencyKey === undefined)) {
      return this.#enqueueBulk(target, requests);
    }
    const results: EnqueueResult[] = [];
    for (const request of requests) results.push(await this.#enqueueOne(target, request, prepared));
    return results;
  }

  async #enqueueOne(target: Queryable, request: EnqueueRequest, prepared: boolean): Promise<EnqueueResult> {
    const S = this.#S;
    const { job } = request;
    const now = Date.now();
    const due = request.runAt && request.runAt.getTime() > now ? request.runAt.getTime() : undefined;
    const notify = due === undefined ? null : this.#notification({ due: [[due, 1]] });
    const values: unknown[] = [
      job.name,
      payloadJson(request.payload),
      this.#lanes.queueName(job, request.concurrencyKey) ?? null,
      request.runAt?.toISOString() ?? null,
      job.retry.maxAttempts,
      request.priority ?? null,
    ];
    if (request.idempotencyKey !== undefined) {
      values.push(request.idempotencyKey, request.idempotencyTtlMs ?? this.#options.idempotencyTtlMs, notify);
      const { rows } = await target.query<{ id: string; deduplicated: boolean }>({
        name: prepared ? `switchyard_add_once/${this.schemaName}` : undefined,
        text: `select job_id::text as id, deduplicated from ${S}.switchyard_add_job_once(
                 $1::text, $2::json, $3::text, $4::timestamptz, $5::int, $6::int, $7::text, $8::bigint, $9::text)`,
        values,
      });
      return { id: rows[0]!.id, deduplicated: rows[0]!.deduplicated };
    }
    if (notify !== null) values.push(notify);
    const { rows } = await target.query<{ id: string }>({
      name: prepared ? `switchyard_add${notify === null ? "" : "_due"}/${this.schemaName}` : undefined,
      text: `select id::text as id${notify === null ? "" : `, pg_notify('${NOTIFY_CHANNEL}', $7::text)`}
               from ${S}.add_job(identifier => $1::text, payload => $2::json, queue_name => $3::text,
                 run_at => $4::timestamptz, max_attempts => $5::int, priority => $6::int)`,
      values,
    });
    return { id: rows[0]!.id, deduplicated: false };
  }

  /**
   * Unkeyed jobs in one `add_jobs` statement (with the notification of their due times, so that nothing is
   * written unless all of it is). The specs' JSON is written by hand: each payload is serialised once.
   * `json_populate_recordset` reads a JSON `null` payload as SQL NULL, which `add_jobs` would store as `{}`:
   * it is put back as JSON `null`.
   */
  async #enqueueBulk(target: Queryable, requests: ReadonlyArray<EnqueueRequest>): Promise<EnqueueResult[]> {
    const S = this.#S;
    const now = Date.now();
    const due = new Map<number, number>();
    const payloads = new Array<string>(requests.length);
    const specs = new Array<string>(requests.length);
    const names = new Map<string, string>();
    for (let index = 0; index < requests.length; index++) {
      const request = requests[index]!;
      const { job } = request;
      const payload = payloadJson(request.payload);
      payloads[index] = payload;
      const runAt = request.runAt?.getTime();
      if (runAt !== undefined && runAt > now) due.set(runAt, (due.get(runAt) ?? 0) + 1);
      let name = names.get(job.name);
      if (name === undefined) {
        name = JSON.stringify(job.name);
        names.set(job.name, name);
      }
      const queue = this.#lanes.queueName(job, request.concurrencyKey);
      specs[index] =
        `{"identifier":${name},"payload":${payload},"queue_name":${queue === undefined ? "null" : JSON.stringify(queue)},` +
        `"run_at":${request.runAt ? `"${request.runAt.toISOString()}"` : "null"},` +
        `"max_attempts":${job.retry.maxAttempts},"priority":${request.priority ?? "null"}}`;
    }
    const notify = due.size > 0 ? this.#notification({ due: [...due.entries()].slice(0, 200) }) : null;
    const { rows } = await target.query<{ id: string; payload: string }>(
      `select id::text as id, payload::text as payload
              ${notify === null ? "" : `, (select pg_notify('${NOTIFY_CHANNEL}', $2::text)) as notified`}
         from ${S}.add_jobs(array(
           select row(s.identifier, coalesce(s.payload, 'null'::json), s.queue_name, s.run_at, s.max_attempts,
                      s.job_key, s.priority, s.flags)::${S}.job_spec
             from json_populate_recordset(null::${S}.job_spec, $1::json) with ordinality as s
            order by s.ordinality))`,
      notify === null ? [`[${specs.join(",")}]`] : [`[${specs.join(",")}]`, notify],
    );
    return matchBulkIds(payloads, rows).map((id) => ({ id, deduplicated: false }));
  }

  async get(id: string): Promise<JobSnapshot | undefined> {
    if (!isJobId(id)) return undefined;
    await this.ready();
    const S = this.#S;
    try {
      const { rows } = await this.pool.query<JobRow>({
        name: `switchyard_get/${this.schemaName}`,
        text: `select ${LIVE_JOB_COLUMNS}, ${stepIdsColumn(S, "j.id")}
                 from ${S}._private_jobs j
                 join ${S}._private_tasks t on t.id = j.task_id
                 left join ${S}.switchyard_job_state s on s.job_id = j.id
                where j.id = $1::bigint
               union all
               select ${FINISHED_JOB_COLUMNS}, ${stepIdsColumn(S, "f.job_id")}
                 from ${S}.switchyard_finished f
                 join ${S}._private_tasks t on t.id = f.task_id
                 left join ${S}.switchyard_job_state s on s.job_id = f.job_id
                where f.job_id = $1::bigint
               limit 1`,
        values: [id],
      });
      return rows[0] && snapshotOf(rows[0]);
    } catch (error) {
      throw toBackendError(error, "get");
    }
  }

  async cancel(id: string): Promise<boolean> {
    if (!isJobId(id)) return false;
    await this.ready();
    try {
      const { rows } = await this.pool.query<{ cancelled: boolean }>(
        `select ${this.#S}.switchyard_cancel($1::bigint, $2::text) as cancelled`,
        [id, this.#notification({ cancel: id })],
      );
      return rows[0]?.cancelled === true;
    } catch (error) {
      throw toBackendError(error, "cancel");
    }
  }

  async retry(id: string): Promise<boolean> {
    if (!isJobId(id)) return false;
    await this.ready();
    const S = this.#S;
    try {
      const { rows } = await this.pool.query(
        `with j as (
           update ${S}._private_jobs j
              set attempts = 0,
                  max_attempts = coalesce(
                    (select s.original_max_attempts from ${S}.switchyard_job_state s where s.job_id = j.id),
                    j.max_attempts),
                  run_at = now(), last_error = null, updated_at = now()
            where j.id = $1::bigint and j.locked_at is null and j.attempts >= j.max_attempts
            returning j.id
         ), s as (
           update ${S}.switchyard_job_state s
              set original_max_attempts = null, error = null, outcome = null, outcome_run_at = null
             from j where s.job_id = j.id
         )
         select j.id, pg_notify('jobs:insert', '{"count":1}') from j`,
        [id],
      );
      return rows.length > 0;
    } catch (error) {
      throw toBackendError(error, "retry");
    }
  }

  async listFailed(options: { job?: string; limit: number }): Promise<JobSnapshot[]> {
    await this.ready();
    const S = this.#S;
    try {
      const { rows } = await this.pool.query<JobRow>(
        `select ${LIVE_JOB_COLUMNS}, ${stepIdsColumn(S, "j.id")}
           from ${S}._private_jobs j
           join ${S}._private_tasks t on t.id = j.task_id
           left join ${S}.switchyard_job_state s on s.job_id = j.id
          where j.locked_at is null and j.attempts >= j.max_attempts
            and ($1::text is null or t.identifier = $1::text)
          order by j.updated_at desc, j.id desc
          limit $2::int`,
        [options.job ?? null, options.limit],
      );
      return rows.map(snapshotOf);
    } catch (error) {
      throw toBackendError(error, "listFailed");
    }
  }

  async upsertSchedule(entry: ScheduleEntry): Promise<void> {
    await this.ready();
    const S = this.#S;
    const next = nextFire(entry, Date.now());
    try {
      await this.pool.query(
        `with upserted as (
           insert into ${S}.switchyard_schedules as s
             (id, job, cron, timezone, every_ms, payload, next_run_at, updated_at)
           values ($1, $2, $3, $4, $5, $6::json, coalesce($7::timestamptz, 'infinity'), now())
           on conflict (id) do update set
             next_run_at = case
               when (s.job, s.cron, s.timezone, s.every_ms, s.payload::text)
                    is not distinct from
                    (excluded.job, excluded.cron, excluded.timezone, excluded.every_ms, excluded.payload::text)
               then s.next_run_at else excluded.next_run_at end,
             job = excluded.job, cron = excluded.cron, timezone = excluded.timezone,
             every_ms = excluded.every_ms, payload = excluded.payload, updated_at = now()
           returning id
         )
         select pg_notify('${NOTIFY_CHANNEL}', $8::text) from upserted`,
        [
          entry.id,
          entry.job,
          entry.cron ?? null,
          entry.timezone ?? null,
          entry.everyMs ?? null,
          payloadJson(entry.payload),
          next?.toISOString() ?? null,
          this.#notification({ schedules: true }),
        ],
      );
    } catch (error) {
      throw toBackendError(error, "upsertSchedule");
    }
  }

  async removeSchedule(id: string): Promise<boolean> {
    await this.ready();
    try {
      const { rowCount } = await this.pool.query(
        `delete from ${this.#S}.switchyard_schedules where id = $1`,
        [id],
      );
      return (rowCount ?? 0) > 0;
    } catch (error) {
      throw toBackendError(error, "removeSchedule");
    }
  }

  async listSchedules(): Promise<ScheduleEntry[]> {
    await this.ready();
    try {
      const { rows } = await this.pool.query(
        `select id, job, cron, timezone, every_ms, payload, next_run_at
           from ${this.#S}.switchyard_schedules order by id`,
      );
      return rows.map(scheduleEntryOf);
    } catch (error) {
      throw toBackendError(error, "listSchedules");
    }
  }

  work(options: Required<WorkerOptions>): PostgresWorkerHandle {
    this.#assertOpen();
    return new PostgresWorker(this, options.concurrency);
  }

  /**
   * Stops this backend's workers without grace and ends the pool it made. Resolves even when the database
   * does not answer: each step is bounded, and what is left (a connection the server never closes) does
   * not keep the process alive.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const worker of [...this.#workers]) await worker.stop({ graceful: false });
    await settledWithin(this.#servicesChain, CLOSE_WAIT_MS);
    await settledWithin(this.#stopServices(), CLOSE_WAIT_MS);
    if (this.#pool && !this.#options.pool) {
      await settledWithin(
        this.#pool.end().catch(() => {}),
        CLOSE_WAIT_MS,
      );
    }
  }

  // ---- internal ----

  get #logger() {
    return this.#runtime?.logger ?? silentLogger;
  }

  async #install(): Promise<void> {
    if (!this.#options.migrate) return;
    await runMigrations({ pgPool: this.pool, schema: this.schemaName, logger: this.graphileLogger });
    const client = await this.pool.connect();
    try {
      await migrateAdapterSchema(client, this.schemaName);
    } finally {
      client.release();
    }
  }

  async #startServices(): Promise<Services> {
    const listener = new NotificationListener({
      config: this.#options.pool
        ? { ...(this.#options.pool.options as pg.ClientConfig) }
        : {
            connectionString: this.#options.connectionString,
            connectionTimeoutMillis: this.#options.connectionTimeoutMillis,
          },
      schema: this.schemaName,
      onNotification: (notification) => this.#onNotification(notification),
      onReconnect: () => {
        services.schedules.wake();
        for (const worker of this.#workers) worker.nudge(Number.MAX_SAFE_INTEGER);
      },
      logger: this.#logger,
    });
    const maintenance = new WorkerMaintenance({
      query: (text, values) => (listener.client ?? this.pool).query(text, values),
      schema: this.#S,
      stalledAfterMs: this.#options.stalledAfterMs,
      keepFinishedMs: this.#options.keepFinishedMs,
      logger: this.#logger,
    });
    const schedules = new ScheduleRunner({
      pool: this.pool,
      schema: this.#S,
      jobs: this.runtime.jobs,
      lanes: this.#lanes,
      logger: this.#logger,
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

  #notification(body: Omit<AdapterNotification, "s">): string {
    return JSON.stringify({ s: this.schemaName, ...body });
  }

  #assertOpen(): void {
    if (this.#closed) throw new ConfigError("this postgres backend is closed");
  }
}

/** The payload as stored: any JSON value, `null` included (graphile-worker's `add_job` would make SQL NULL `{}`). */
function payloadJson(payload: unknown): string {
  return JSON.stringify(payload === undefined ? null : payload);
}

function isJobId(id: string): boolean {
  return typeof id === "string" && /^\d{1,19}$/.test(id) && BigInt(id) <= MAX_BIGINT;
}

/**
 * The id of each bulk-added job, in request order. `add_jobs` returns rows in insertion order, which
 * follows the request order; should a plan ever reorder them, rows are matched back by payload (jobs with
 * equal payloads in one batch are interchangeable).
 */
function matchBulkIds(
  payloads: ReadonlyArray<string>,
  rows: ReadonlyArray<{ id: string; payload: string }>,
): string[] {
  if (rows.length === payloads.length && rows.every((row, index) => row.payload === payloads[index])) {
    return rows.map((row) => row.id);
  }
  const byPayload = new Map<string, string[]>();
  for (const row of [...rows].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1))) {
    const ids = byPayload.get(row.payload);
    if (ids) ids.push(row.id);
    else byPayload.set(row.payload, [row.id]);
  }
  return payloads.map((payload) => {
    const id = byPayload.get(payload)?.shift();
    if (id === undefined) throw new Error("postgres: add_jobs returned fewer jobs than were enqueued");
    return id;
  });
}
