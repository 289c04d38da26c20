import type { JobLogger } from "@switchyard/core";
import type { Pool } from "pg";
import { schemaSql } from "./sql/queryable.js";

/** The least time between two records of a pool's started jobs (a burst of starts is one write). */
const RECORD_EVERY_MS = 20;
/** The wait before recording again after a failed write (the database is away). */
const RETRY_AFTER_MS = 1_000;

/**
 * Records which jobs a worker pool with a local queue is running, in its heartbeat row
 * (`switchyard_workers.started`), so that stalled-job recovery can tell them from the jobs its local queue
 * locked ahead and never started: those get back the attempt graphile-worker counted when it locked them.
 * One write per burst of starts (at most one every RECORD_EVERY_MS), never on a job's path. A job whose
 * process dies within that time of its start is not recorded yet: it gets its attempt back too.
 */
export class StartedJobs {
  readonly #pool: Pool;
  readonly #table: string;
  readonly #statement: string;
  readonly #poolId: string;
  readonly #running: () => Iterable<string>;
  readonly #logger: JobLogger;
  #dirty = false;
  #timer?: NodeJS.Timeout;
  #writing = false;
  #lastWrite = 0;
  #stopped = false;
  #failing = false;

  constructor(options: {
    pool: Pool;
    /** graphile-worker's schema. */
    schema: string;
    poolId: string;
    /** The ids of the jobs running now. */
    running: () => Iterable<string>;
    logger: JobLogger;
  }) {
    this.#pool = options.pool;
    this.#table = `${schemaSql(options.schema)}.switchyard_workers`;
    this.#statement = `switchyard_started/${options.schema}`;
    this.#poolId = options.poolId;
    this.#running = options.running;
    this.#logger = options.logger;
  }

  /** A job started: the running set is written soon. */
  changed(): void {
    this.#dirty = true;
    this.#schedule(RECORD_EVERY_MS);
  }

  /** Stops writing (the pool stopped or crashed). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(spacing: number): void {
    if (this.#stopped || this.#writing || this.#timer) return;
    const wait = Math.max(0, this.#lastWrite + spacing - performance.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#write();
    }, wait);
    this.#timer.unref();
  }

  async #write(): Promise<void> {
    if (this.#stopped || !this.#dirty) return;
    this.#dirty = false;
    this.#writing = true;
    let spacing = RECORD_EVERY_MS;
    try {
      await this.#pool.query({
        name: this.#statement,
        text: `update ${this.#table} set started = $2::bigint[] where pool_id = $1`,
        values: [this.#poolId, [...this.#running()]],
      });
      this.#failing = false;
    } catch (error) {
      this.#dirty = true;
      spacing = RETRY_AFTER_MS;
      if (!this.#failing) {
        this.#logger.warn("postgres: recording the started jobs failed; trying again", {
          error: (error as Error).message,
        });
      }
      this.#failing = true;
    } finally {
      this.#lastWrite = performance.now();
      this.#writing = false;
    }
    if (this.#dirty) this.#schedule(spacing);
  }
}
