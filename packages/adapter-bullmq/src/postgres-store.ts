import type { JobSnapshot } from "@switchyard/core";
import type { PostgresConnection } from "bullmq";

/** The channel of cancel notices (NOTIFY is per database: each payload names its schema). */
export const CANCEL_CHANNEL = "switchyard_cancel";

// The adapter's own rows beside BullMQ's tables, in the same schema (every pooled connection's
// search_path is pinned to it): what the Redis adapter keeps in keys of its own. SQL lives here.

const CREATE_TABLES = `
CREATE TABLE IF NOT EXISTS switchyard_cancelled (
  queue text NOT NULL,
  job_id text NOT NULL,
  record jsonb NOT NULL,
  expires_at_ms bigint NOT NULL,
  PRIMARY KEY (queue, job_id)
);
CREATE TABLE IF NOT EXISTS switchyard_declared_schedule (
  queue text NOT NULL,
  scheduler_id text NOT NULL,
  PRIMARY KEY (queue, scheduler_id)
)`;

const SAVE_CANCELLED = `
INSERT INTO switchyard_cancelled (queue, job_id, record, expires_at_ms) VALUES ($1, $2, $3, $4)
ON CONFLICT (queue, job_id) DO UPDATE SET record = EXCLUDED.record, expires_at_ms = EXCLUDED.expires_at_ms`;

const READ_CANCELLED = `
SELECT record FROM switchyard_cancelled WHERE queue = $1 AND job_id = $2 AND expires_at_ms > $3`;

/** The mark of a job cancelled while it ran, and the notice to its worker, in one statement. */
const MARK_RUNNING_CANCELLED = `
WITH mark AS (
  INSERT INTO switchyard_cancelled (queue, job_id, record, expires_at_ms) VALUES ($1, $2, '"running"', $3)
  ON CONFLICT (queue, job_id) DO UPDATE SET record = EXCLUDED.record, expires_at_ms = EXCLUDED.expires_at_ms
)
SELECT pg_notify('${CANCEL_CHANNEL}', $4)`;

const DELETE_CANCELLED = "DELETE FROM switchyard_cancelled WHERE queue = $1 AND job_id = $2";

/** Expired records go when a new one is written: one statement, bounded by the index. */
const PURGE_CANCELLED = "DELETE FROM switchyard_cancelled WHERE expires_at_ms <= $1";

const MARK_DECLARED = `
INSERT INTO switchyard_declared_schedule (queue, scheduler_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`;

const UNMARK_DECLARED = "DELETE FROM switchyard_declared_schedule WHERE queue = $1 AND scheduler_id = $2";

const DECLARED_OF = "SELECT scheduler_id FROM switchyard_declared_schedule WHERE queue = $1";

/** BullMQ keeps a delayed job's due time in its row, whatever delayed it (a delay, a retry's backoff). */
const DUE_AT = "SELECT process_at_ms FROM job WHERE queue = $1 AND id = $2 AND state = 'delayed'";

/**
 * BullMQ writes a queue's `meta` rows when a client that enqueues its job opens it (as the `meta` hash
 * on Redis, queue-names.ts); job names have no colon.
 */
const QUEUE_NAMES = "SELECT DISTINCT queue FROM meta WHERE position(':' in queue) = 0 ORDER BY queue";

/** unique_violation, duplicate_table: a concurrent CREATE TABLE IF NOT EXISTS of the same table. */
const RACED_CREATE = new Set(["23505", "42P07"]);

/** The adapter's rows in BullMQ's schema, through BullMQ's connection pool. */
export class PostgresStore {
  readonly #connection: () => PostgresConnection;
  #created?: Promise<void>;

  constructor(connection: () => PostgresConnection) {
    this.#connection = connection;
  }

  async saveCancelled(queue: string, jobId: string, record: JobSnapshot, retentionMs: number): Promise<void> {
    const now = Date.now();
    await this.#query(PURGE_CANCELLED, [now]);
    await this.#query(SAVE_CANCELLED, [queue, jobId, JSON.stringify(record), now + retentionMs]);
  }

  async readCancelled(queue: string, jobId: string): Promise<unknown> {
    const { rows } = await this.#query(READ_CANCELLED, [queue, jobId, Date.now()]);
    return rows[0]?.record;
  }

  /** Marks a running job cancelled and tells the workers (`notice` is the NOTIFY payload). */
  async markRunningCancelled(
    queue: string,
    jobId: string,
    retentionMs: number,
    notice: string,
  ): Promise<void> {
    await this.#query(MARK_RUNNING_CANCELLED, [queue, jobId, Date.now() + retentionMs, notice]);
  }

  async deleteCancelled(queue: string, jobId: string): Promise<void> {
    await this.#query(DELETE_CANCELLED, [queue, jobId]);
  }

  async markDeclared(queue: string, schedulerId: string, declared: boolean): Promise<void> {
    await this.#query(declared ? MARK_DECLARED : UNMARK_DECLARED, [queue, schedulerId]);
  }

  async declaredOf(queue: string): Promise<Set<string>> {
    const { rows } = await this.#query(DECLARED_OF, [queue]);
    return new Set(rows.map((row) => String(row.scheduler_id)));
  }

  async dueAt(queue: string, jobId: string): Promise<Date | undefined> {
    const { rows } = await this.#query(DUE_AT, [queue, jobId]);
    const ms = rows[0]?.process_at_ms;
    return ms == null ? undefined : new Date(Number(ms));
  }

  /** The names of the queues BullMQ keeps metadata for (each job is its own queue): every job in the schema. */
  async queueNames(): Promise<string[]> {
    const { rows } = await this.#query(QUEUE_NAMES, []);
    return rows.map((row) => String(row.queue));
  }

  /** A read of BullMQ's tables or the adapter's (postgres-job-listing.ts), once the tables exist. */
  query(sql: string, values: unknown[]): Promise<{ rows: Record<string, unknown>[] }> {
    return this.#query(sql, values);
  }

  async #query(sql: string, values: unknown[]): Promise<{ rows: Record<string, unknown>[] }> {
    const connection = this.#connection();
    // BullMQ's schema first (its migrations run there), then the adapter's tables, once.
    this.#created ??= connection
      .waitUntilReady()
      .then(() => connection.pool.query(CREATE_TABLES))
      .catch((error: unknown) => {
        // Another process created them at the same moment: IF NOT EXISTS races on the catalog.
        if (!RACED_CREATE.has((error as { code?: string }).code ?? "")) throw error;
      })
      .then(
        () => undefined,
        (error: unknown) => {
          this.#created = undefined;
          throw error;
        },
      );
    await this.#created;
    return connection.pool.query(sql, values) as Promise<{ rows: Record<string, unknown>[] }>;
  }
}
