import type { JobDefinition, JobLogger, ScheduleEntry } from "@switchyard/core";
import { nextCronTime } from "@switchyard/core/adapter";
import type { Pool } from "pg";
import type { ConcurrencyLanes } from "./concurrency-lanes.js";
import type { ScheduleRow } from "./sql/list-schedules.js";
import { queueNameSql } from "./sql/new-job.js";
import { schemaSql } from "./sql/queryable.js";

/** The longest the runner sleeps without a notification (schedules changed elsewhere, clock drift). */
const MAX_SLEEP_MS = 30_000;
const RETRY_AFTER_ERROR_MS = 1_000;
const FIRES_PER_TICK = 100;

/**
 * When a schedule fires next, strictly after `previous` and not before now: missed fires (no worker was
 * running) are not replayed one by one, the schedule fires once late and then keeps its rhythm.
 */
export function nextFire(
  entry: Pick<ScheduleEntry, "cron" | "timezone" | "everyMs">,
  now: number,
  previous?: number,
): Date | undefined {
  if (entry.everyMs !== undefined) {
    const next = previous === undefined ? now + entry.everyMs : previous + entry.everyMs;
    return new Date(next > now ? next : now + entry.everyMs);
  }
  const after = new Date(Math.max(now, previous ?? now));
  return nextCronTime(entry.cron!, entry.timezone, after);
}

/** Turns a stored schedule into a ScheduleEntry. */
export function toScheduleEntry(row: ScheduleRow): ScheduleEntry {
  const entry: ScheduleEntry = { id: row.id, job: row.job, payload: row.payload, declared: row.declared };
  if (row.cron !== null) entry.cron = row.cron;
  if (row.timezone !== null) entry.timezone = row.timezone;
  if (row.every_ms !== null) entry.everyMs = Number(row.every_ms);
  if (row.next_run_at instanceof Date && Number.isFinite(row.next_run_at.getTime()))
    entry.nextRunAt = row.next_run_at;
  return entry;
}

/**
 * Fires the schedules stored in `switchyard_schedules` while workers run: each due schedule is locked
 * (FOR UPDATE SKIP LOCKED), its job added and its next run stored in one transaction, so a fire happens
 * once however many workers run. Sleeps until the next due schedule, or until told schedules changed.
 */
export class ScheduleRunner {
  readonly #pool: Pool;
  /** The schema, quoted. */
  readonly #schemaSql: string;
  readonly #jobs: ReadonlyMap<string, JobDefinition>;
  readonly #lanes: ConcurrencyLanes;
  readonly #logger: JobLogger;
  #active = false;
  #timer?: NodeJS.Timeout;
  #running?: Promise<void>;
  #again = false;

  constructor(options: {
    pool: Pool;
    /** graphile-worker's schema. */
    schema: string;
    jobs: ReadonlyMap<string, JobDefinition>;
    lanes: ConcurrencyLanes;
    logger: JobLogger;
  }) {
    this.#pool = options.pool;
    this.#schemaSql = schemaSql(options.schema);
    this.#jobs = options.jobs;
    this.#lanes = options.lanes;
    this.#logger = options.logger;
  }

  start(): void {
    if (this.#active) return;
    this.#active = true;
    this.wake();
  }

  async stop(): Promise<void> {
    this.#active = false;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** Looks for due schedules now (a schedule changed, or the timer fired). */
  wake(): void {
    if (!this.#active) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#running = this.#tick()
      .then(
        (sleepMs) => sleepMs,
        (error: unknown) => {
          this.#logger.warn("postgres: firing schedules failed; trying again", {
            error: (error as Error).message,
          });
          return RETRY_AFTER_ERROR_MS;
        },
      )
      .then((sleepMs) => {
        this.#running = undefined;
        if (!this.#active) return;
        if (this.#again) {
          this.#again = false;
          this.wake();
          return;
        }
        this.#timer = setTimeout(() => this.wake(), sleepMs);
        this.#timer.unref();
      });
  }

  /** Fires what is due; returns how long to sleep. */
  async #tick(): Promise<number> {
    const schema = this.#schemaSql;
    const names = [...this.#jobs.keys()];
    const client = await this.#pool.connect();
    try {
      let fired: number;
      do {
        await client.query("begin");
        try {
          const { rows } = await client.query<ScheduleRow>(
            `select id, job, cron, timezone, every_ms, payload, next_run_at, declared
               from ${schema}.switchyard_schedules
              where next_run_at <= now() and job = any($1::text[])
              order by next_run_at
              limit ${FIRES_PER_TICK}
              for update skip locked`,
            [names],
          );
          const now = Date.now();
          for (const row of rows) {
            const job = this.#jobs.get(row.job)!;
            const lane = this.#lanes.laneOf(job, undefined);
            await client.query(
              `select 1 from ${schema}.add_job(identifier => $1::text, payload => $2::json,
                 queue_name => ${queueNameSql(schema, "$1::text", { base: "$3::text", turn: "$4::bigint", fallbackLimit: "$5::int" })},
                 max_attempts => $6::int)`,
              [
                job.name,
                JSON.stringify(row.payload),
                lane.base,
                lane.turn,
                lane.fallbackLimit,
                job.retry.maxAttempts,
              ],
            );
            const next = nextFire(toScheduleEntry(row), now, row.next_run_at.getTime());
            await client.query(
              `update ${schema}.switchyard_schedules set next_run_at = coalesce($2::timestamptz, 'infinity') where id = $1`,
              [row.id, next ?? null],
            );
          }
          await client.query("commit");
          fired = rows.length;
        } catch (error) {
          await client.query("rollback").catch(() => {});
          throw error;
        }
      } while (fired === FIRES_PER_TICK && this.#active);
      const { rows } = await client.query<{ wait_ms: number | null }>(
        `select (extract(epoch from min(next_run_at) - now()) * 1000)::float8 as wait_ms
           from ${schema}.switchyard_schedules where job = any($1::text[]) and next_run_at < 'infinity'`,
        [names],
      );
      const wait = rows[0]?.wait_ms;
      return wait === null || wait === undefined
        ? MAX_SLEEP_MS
        : Math.min(MAX_SLEEP_MS, Math.max(0, wait) + 2);
    } finally {
      client.release();
    }
  }
}
