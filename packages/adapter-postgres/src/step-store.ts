import type { StepRecord, StepStore } from "@switchyard/core/adapter";
import type { Pool } from "pg";
import { toBackendError } from "./connection-errors.js";
import { type RetryScope, retryWhileTransient } from "./outcome-retries.js";
import { loadStepsQuery, type StepRow } from "./sql/load-steps.js";
import { saveStepQuery } from "./sql/save-step.js";
import { STEPS_FLAG } from "./step-schema.js";

/** Where a job's steps live: the backend's pool and graphile-worker's schema. */
export interface StepTables {
  readonly pool: Pool;
  /** graphile-worker's schema, unquoted (quoted here with quoteIdentifier). */
  readonly schema: string;
}

/** The completed steps of a job that has none (never written to). */
const NO_STEPS: ReadonlyMap<string, StepRecord> = new Map();

/** The part of graphile-worker's job row the store reads. */
interface LockedJob {
  id: string | number;
  flags: Record<string, true> | null;
}

/**
 * The steps of one attempt of a job (core's StepStore). Opened before the handler runs: the completed
 * steps are read in one query, and only for a job that has any (STEPS_FLAG, set with its first step).
 * Each `save` is one upsert, durable once it resolves; a failed save fails the step (the attempt is
 * retried by the job's policy, and the step's function runs again then).
 *
 * Once the attempt has ended (`end()`), the store is fenced: a handler still running (one that ignored
 * its aborted signal after a timeout, a stop or a `crash()`) gets an error from its next step instead
 * of running it, as a killed process would not run it either; the job may already run elsewhere.
 */
export class PostgresStepStore implements StepStore {
  readonly #tables: StepTables;
  readonly #jobId: string;
  readonly #records: ReadonlyMap<string, StepRecord>;
  #flagged: boolean;
  #ended = false;

  private constructor(
    tables: StepTables,
    jobId: string,
    records: ReadonlyMap<string, StepRecord>,
    flagged: boolean,
  ) {
    this.#tables = tables;
    this.#jobId = jobId;
    this.#records = records;
    this.#flagged = flagged;
  }

  /**
   * The store of an attempt of `job`: made at once for a job that never stored a step (the common case),
   * else once its steps are read (retried while the database is unreachable).
   */
  static open(
    tables: StepTables,
    job: LockedJob,
    scope: RetryScope,
  ): PostgresStepStore | Promise<PostgresStepStore> {
    const jobId = String(job.id);
    const flagged = job.flags?.[STEPS_FLAG] === true;
    if (!flagged) return new PostgresStepStore(tables, jobId, NO_STEPS, false);
    return PostgresStepStore.#load(tables, jobId, scope);
  }

  static async #load(tables: StepTables, jobId: string, scope: RetryScope): Promise<PostgresStepStore> {
    const { rows } = await retryWhileTransient(
      () => tables.pool.query<StepRow>(loadStepsQuery(tables.schema, jobId)),
      scope,
      `loading the steps of job ${jobId}`,
    );
    const records = new Map<string, StepRecord>();
    for (const row of rows) records.set(row.step_id, row.record as StepRecord);
    return new PostgresStepStore(tables, jobId, records, true);
  }

  get completed(): ReadonlyMap<string, StepRecord> {
    if (this.#ended) throw this.#fenced();
    return this.#records;
  }

  async save(stepId: string, record: StepRecord): Promise<void> {
    if (this.#ended) throw this.#fenced();
    const query = saveStepQuery(this.#tables.schema, {
      jobId: this.#jobId,
      stepId,
      record: JSON.stringify(record),
      flagJob: !this.#flagged,
      childId: record.type === "invoke" && !record.done ? record.childId : undefined,
    });
    try {
      await this.#tables.pool.query(query);
    } catch (error) {
      throw toBackendError(error, `storing step "${stepId}" of job ${this.#jobId}`);
    }
    this.#flagged = true;
  }

  /** The attempt ended: later step calls of its handler fail (see the class). */
  end(): void {
    this.#ended = true;
  }

  #fenced(): Error {
    return new Error(
      `the attempt of job ${this.#jobId} has ended (timed out, cancelled, or its worker stopped); its handler may run no more steps`,
    );
  }
}
