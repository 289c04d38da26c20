import type { JobLogger } from "@switchyard/core";
import type { Pool, PoolClient } from "pg";
import { schemaSql } from "./sql/queryable.js";

const RECORDED: Promise<void> = Promise.resolve();

/**
 * Records which jobs a worker pool with a local queue runs, in its heartbeat row
 * (`switchyard_workers.started`), **before their handlers run**: stalled-job recovery gives back the
 * attempt graphile-worker counted only to the pool's other locked jobs, those its local queue fetched and
 * never handed to a handler. A job whose start was recorded keeps its attempt, so a job that kills its
 * process every time (a handler that blocks the event loop until it is SIGKILLed, an OOM) uses up its
 * attempts and ends failed. Starts that come while a write is in flight wait for the next one, which
 * writes them all: one write per burst of starts, one round trip added to a job's start.
 */
export class StartedJobs {
  readonly #pool: Pool;
  readonly #table: string;
  readonly #statement: string;
  readonly #poolId: string;
  readonly #running: () => Iterable<string>;
  readonly #logger: JobLogger;
  /** The write in flight. */
  #writing: Promise<void> = RECORDED;
  /** The write that starts once the one in flight ends, which the starts since then wait for. */
  #next?: Promise<void>;
  /** The connection the writes go through, held while the pool runs: a start never queues for one. */
  #connection?: Promise<PoolClient>;
  #stopped = false;
  #failing = false;

  constructor(options: {
    pool: Pool;
    /** graphile-worker's schema. */
    schema: string;
    poolId: string;
    /** The ids of the jobs running now (a starting job is in it before it calls `recorded`). */
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

  /**
   * A job started (it is in the running set): resolves once a write that includes it has landed, or has
   * failed (logged; the job runs anyway, and would get its attempt back if its process died: the database
   * refused the write, so this is the rare case). Never rejects.
   */
  recorded(): Promise<void> {
    if (this.#stopped) return RECORDED;
    this.#next ??= this.#writing.then(() => {
      this.#next = undefined;
      this.#writing = this.#write();
      return this.#writing;
    });
    return this.#next;
  }

  /** Stops writing (the pool stopped or crashed): starts waiting for a write are let through. */
  stop(): void {
    this.#stopped = true;
    void this.#writing.then(() => this.#release());
  }

  #release(error?: Error): void {
    const connection = this.#connection;
    this.#connection = undefined;
    void connection?.then(
      (client) => client.release(error),
      () => {},
    );
  }

  async #write(): Promise<void> {
    if (this.#stopped) return;
    try {
      this.#connection ??= this.#pool.connect();
      const client = await this.#connection;
      await client.query({
        name: this.#statement,
        text: `update ${this.#table} set started = $2::bigint[] where pool_id = $1`,
        values: [this.#poolId, [...this.#running()]],
      });
      this.#failing = false;
    } catch (error) {
      if (!this.#failing) {
        this.#logger.warn("postgres: recording the started jobs failed; their jobs run unrecorded", {
          error: (error as Error).message,
        });
      }
      this.#failing = true;
      this.#release(error as Error);
    }
  }
}
