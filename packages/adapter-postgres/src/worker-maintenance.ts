import type { JobLogger } from "@switchyard/core";
import { type LongTimeout, setLongTimeout } from "@switchyard/core/adapter";
import type { QueryResult, QueryResultRow } from "pg";
import { schemaSql } from "./sql/queryable.js";

const CLEANUP_EVERY_MS = 60_000;
const CLEANUP_BATCH = 5_000;

type Query = <R extends QueryResultRow = QueryResultRow>(
  text: string,
  values?: unknown[],
) => Promise<QueryResult<R>>;

/**
 * What keeps a schema healthy while workers run, every quarter of `stalledAfter`:
 * - a heartbeat for each worker pool of this process (`switchyard_workers`);
 * - stalled-job recovery: jobs locked by a pool that stopped heartbeating run again
 *   (`switchyard_recover_stalled`, which uses graphile-worker's `force_unlock_workers`);
 * - every minute, deletes expired idempotency keys, and finished jobs' records older than `keepFinished`.
 */
export class WorkerMaintenance {
  readonly #query: Query;
  /** The schema, quoted. */
  readonly #schemaSql: string;
  readonly #stalledAfterMs: number;
  readonly #keepFinishedMs: number;
  readonly #logger: JobLogger;
  /** Each pool heartbeated, and whether it records its started jobs (it has a local queue). */
  readonly #pools = new Map<string, boolean>();
  #timer?: LongTimeout;
  #lastCleanup = 0;
  #running?: Promise<void>;

  constructor(options: {
    query: Query;
    /** graphile-worker's schema. */
    schema: string;
    stalledAfterMs: number;
    keepFinishedMs: number;
    logger: JobLogger;
  }) {
    this.#query = options.query;
    this.#schemaSql = schemaSql(options.schema);
    this.#stalledAfterMs = options.stalledAfterMs;
    this.#keepFinishedMs = options.keepFinishedMs;
    this.#logger = options.logger;
  }

  /** The interval between heartbeats. */
  get intervalMs(): number {
    return Math.max(50, Math.floor(this.#stalledAfterMs / 4));
  }

  /**
   * Registers a pool and heartbeats it at once. A pool with a local queue records the jobs it starts
   * (started-jobs.ts): its row starts with none recorded.
   */
  async add(poolId: string, options: { recordsStarted: boolean }): Promise<void> {
    this.#pools.set(poolId, options.recordsStarted);
    await this.#heartbeat();
    if (!this.#timer) this.#schedule();
  }

  /**
   * Stops heartbeating a pool. A stopped pool's row is deleted; a crashed one's is left to age, as a
   * killed process would leave it.
   */
  async remove(poolId: string, options: { crashed: boolean }): Promise<void> {
    this.#pools.delete(poolId);
    if (!options.crashed) {
      await this.#query(`delete from ${this.#schemaSql}.switchyard_workers where pool_id = $1`, [
        poolId,
      ]).catch(() => {});
    }
  }

  async stop(): Promise<void> {
    this.#timer?.clear();
    this.#timer = undefined;
    await this.#running;
  }

  /** The interval is a quarter of `stalledAfter`, which may exceed Node's 2^31-1 ms timer limit. */
  #schedule(): void {
    this.#timer = setLongTimeout(() => {
      this.#running = this.#tick().finally(() => {
        this.#running = undefined;
        if (this.#timer) this.#schedule();
      });
    }, this.intervalMs);
  }

  async #tick(): Promise<void> {
    try {
      await this.#heartbeat();
      const { rows } = await this.#query<{ n: number }>(
        `select ${this.#schemaSql}.switchyard_recover_stalled($1 * interval '1 millisecond') as n`,
        [this.#stalledAfterMs],
      );
      if ((rows[0]?.n ?? 0) > 0) {
        this.#logger.warn(`postgres: ${rows[0]!.n} stalled job(s) of dead workers released to run again`);
      }
      if (Date.now() - this.#lastCleanup >= CLEANUP_EVERY_MS) {
        this.#lastCleanup = Date.now();
        await this.#cleanup();
      }
    } catch (error) {
      this.#logger.warn("postgres: worker maintenance failed; trying again", {
        error: (error as Error).message,
      });
    }
  }

  async #heartbeat(): Promise<void> {
    if (this.#pools.size === 0) return;
    await this.#query(
      `insert into ${this.#schemaSql}.switchyard_workers (pool_id, started)
       select p.id, case when p.records then '{}'::bigint[] end from unnest($1::text[], $2::boolean[]) as p(id, records)
       on conflict (pool_id) do update set heartbeat_at = now()`,
      [[...this.#pools.keys()], [...this.#pools.values()]],
    );
  }

  async #cleanup(): Promise<void> {
    const schema = this.#schemaSql;
    await this.#query(
      `delete from ${schema}.switchyard_idempotency where ctid = any(array(
         select ctid from ${schema}.switchyard_idempotency where expires_at < now() limit ${CLEANUP_BATCH}))`,
    );
    await this.#query(
      `with f as (
         delete from ${schema}.switchyard_finished where ctid = any(array(
           select ctid from ${schema}.switchyard_finished
            where finished_at < now() - $1 * interval '1 millisecond' limit ${CLEANUP_BATCH}))
         returning job_id
       )
       delete from ${schema}.switchyard_job_state s using f where s.job_id = f.job_id`,
      [this.#keepFinishedMs],
    );
    // State of jobs deleted other than by completion (graphile-worker's own tools, for example).
    await this.#query(
      `delete from ${schema}.switchyard_job_state where ctid = any(array(
         select s.ctid from ${schema}.switchyard_job_state s
          where not exists (select 1 from ${schema}._private_jobs j where j.id = s.job_id)
            and not exists (select 1 from ${schema}.switchyard_finished f where f.job_id = s.job_id)
          limit ${CLEANUP_BATCH}))`,
    );
  }
}
