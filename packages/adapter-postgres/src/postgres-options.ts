import type { Duration } from "@switchyard/core";
import type { Pool } from "pg";

/** What `postgres()` takes. Give `connectionString` or `pool`. */
export interface PostgresOptions {
  /** A PostgreSQL connection string, e.g. `postgres://user@host:5432/app`. Exclusive with `pool`. Default: none. */
  connectionString?: string;
  /**
   * An existing `pg` pool to use instead of `connectionString`. `close()` leaves it open: its owner ends it.
   * Default: a pool made from `connectionString`.
   */
  pool?: Pool;
  /**
   * The schema of graphile-worker's tables; the adapter's own tables (`switchyard_*`) live in it too. It is
   * installed or migrated on first use. Default `"graphile_worker"`.
   */
  schema?: string;
  /**
   * Connections of the pool made from `connectionString`. A worker uses up to `concurrency + 1` at once:
   * give it at least that. Default 10 (graphile-worker's default).
   */
  maxPoolSize?: number;
  /**
   * How often an idle worker looks for jobs that became due without telling it (graphile-worker's
   * `pollInterval`). Jobs enqueued, delayed or retried through this adapter wake workers by notification,
   * so this only bounds the lateness of the rest. Default `2000` (ms).
   */
  pollInterval?: Duration;
  /**
   * How long after a worker pool stops heartbeating (its process died) the jobs it had locked run again.
   * Each worker heartbeats every quarter of this; keep it longer than the longest event-loop stall of your
   * handlers. Without it graphile-worker frees such jobs after 4 hours. Default `"1m"`.
   */
  stalledAfter?: Duration;
  /** How long an idempotency key is kept when neither the job nor the enqueue gives a ttl. Default `"24h"`. */
  idempotencyTtl?: Duration;
  /** How long the record of a completed or cancelled job (state, result) is kept for `get(id)`. Default `"7d"`. */
  keepFinished?: Duration;
  /** Milliseconds to wait for a new connection before failing with BackendUnavailableError. Default 10000. */
  connectionTimeoutMillis?: number;
  /**
   * Extra graphile-worker settings for the worker pools (for example `{ worker: { localQueue: { size: 25 },
   * completeJobBatchDelay: 0 } }`). Default: none (graphile-worker's defaults).
   */
  graphilePreset?: GraphileConfig.Preset;
  /** Install or migrate graphile-worker's schema and the adapter's tables on first use. Default true. */
  migrate?: boolean;
}
