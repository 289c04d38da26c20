import type { JobLogger } from "@switchyard/core";
import type { Pool, PoolClient } from "pg";
import { schemaSql } from "./sql/queryable.js";

const SENT: Promise<void> = Promise.resolve();

/**
 * The key stalled-job recovery sets in the `flags` of a job it gives an attempt back to: from then on the
 * job starts only once its start record is sent (see StartedJobs).
 */
export const RECOVERED_FLAG = "switchyard_recovered";

/** Whether a job row's flags say that it waits for its start record to be sent (RECOVERED_FLAG). */
export function waitsForStartRecord(flags: Record<string, true> | null | undefined): boolean {
  return flags?.[RECOVERED_FLAG] === true;
}

/**
 * Records which jobs a worker pool with a local queue runs, in its heartbeat row
 * (`switchyard_workers.started`): stalled-job recovery gives back the attempt graphile-worker counted only
 * to the pool's other locked jobs, those its local queue fetched and never handed to a handler. A job
 * whose start was recorded keeps its attempt, so a job that kills its process every time (a handler that
 * blocks the event loop until it is SIGKILLed, an OOM) uses up its attempts and ends failed.
 *
 * A start does not wait for its record. A write goes out as soon as a job starts, unless one is in flight:
 * then the next one, sent when it lands, covers every start since (one write per burst of starts). Waiting
 * for the write before each handler cost a round trip per burst, which halved a batched worker's
 * throughput. A job whose process dies before its start was sent gets its attempt back, and recovery marks
 * it (RECOVERED_FLAG): such a job waits until a write that includes it is **sent**, not answered. The
 * write then goes out on a connection held for the purpose and idle, so node-postgres hands it to the
 * socket at once; a process that dies after that, however abruptly, still delivers it, and PostgreSQL runs
 * a statement it has received although its client is gone. So a job that kills its process gets at most
 * one attempt back, and every job fetched ahead keeps its attempts.
 */
export class StartedJobs {
  readonly #pool: Pool;
  readonly #table: string;
  readonly #statement: string;
  readonly #poolId: string;
  readonly #running: () => Iterable<string>;
  readonly #logger: JobLogger;
  /** The connection the writes go through, held while the pool runs; undefined until connected. */
  #client?: PoolClient;
  #connecting = false;
  /** A write was sent and has not been answered. */
  #inFlight = false;
  /** Lets through the starts waiting for the next write to be sent. */
  #releaseWaiting?: () => void;
  #waiting?: Promise<void>;
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
    // Connected now, so that the pool's first starts find the connection ready to send at once.
    void this.#connect();
  }

  /**
   * A job started (it is in the running set): a write that includes it goes out now, or right after the
   * one in flight. Resolves once it has been sent, or could not be (logged; the job runs anyway, and
   * would get its attempt back if its process died: the database or the network failed, so this is the
   * rare case). Never rejects. Only a job that waitsForStartRecord awaits it.
   */
  recorded(): Promise<void> {
    if (this.#stopped) return SENT;
    if (this.#client && !this.#inFlight) {
      this.#send(this.#client);
      return SENT;
    }
    this.#waiting ??= new Promise<void>((resolve) => {
      this.#releaseWaiting = resolve;
    });
    const waiting = this.#waiting;
    if (!this.#client && !this.#connecting) void this.#connect();
    return waiting;
  }

  /** Stops writing (the pool stopped or crashed): starts waiting for a write are let through. */
  stop(): void {
    this.#stopped = true;
    this.#letWaitingThrough();
    if (!this.#inFlight) this.#release();
  }

  #letWaitingThrough(): void {
    const release = this.#releaseWaiting;
    this.#waiting = undefined;
    this.#releaseWaiting = undefined;
    release?.();
  }

  async #connect(): Promise<void> {
    this.#connecting = true;
    try {
      const client = await this.#pool.connect();
      this.#connecting = false;
      if (this.#stopped) {
        client.release();
        return;
      }
      this.#client = client;
      if (this.#waiting) this.#send(client);
    } catch (error) {
      this.#connecting = false;
      this.#failed(error as Error);
      this.#letWaitingThrough();
    }
  }

  /** Sends the running set on the idle connection (synchronously: it is on the socket on return). */
  #send(client: PoolClient): void {
    this.#inFlight = true;
    const answered = client.query({
      name: this.#statement,
      text: `update ${this.#table} set started = $2::bigint[] where pool_id = $1`,
      values: [this.#poolId, [...this.#running()]],
    });
    this.#letWaitingThrough();
    answered.then(
      () => {
        this.#failing = false;
        this.#answered();
      },
      (error: Error) => {
        this.#failed(error);
        this.#release(error);
        this.#answered();
      },
    );
  }

  #answered(): void {
    this.#inFlight = false;
    if (this.#stopped) this.#release();
    else if (this.#waiting) {
      if (this.#client) this.#send(this.#client);
      else if (!this.#connecting) void this.#connect();
    }
  }

  #failed(error: Error): void {
    if (!this.#failing) {
      this.#logger.warn("postgres: recording the started jobs failed; their jobs run unrecorded", {
        error: error.message,
      });
    }
    this.#failing = true;
  }

  #release(error?: Error): void {
    const client = this.#client;
    this.#client = undefined;
    client?.release(error);
  }
}
