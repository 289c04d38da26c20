import type { JobLogger } from "@switchyard/core";
import type { Pool, PoolClient, QueryConfig } from "pg";
import { isConnectionError } from "./connection-errors.js";
import { schemaSql } from "./sql/queryable.js";

const ANSWERED: Promise<void> = Promise.resolve();

/**
 * The key stalled-job recovery sets in the `flags` of a job it gives an attempt back to: from then on the
 * job starts only once its start record has landed (see StartedJobs).
 */
export const RECOVERED_FLAG = "switchyard_recovered";

/** Whether a job row's flags say that it waits for its start record (RECOVERED_FLAG). */
export function waitsForStartRecord(flags: Record<string, true> | null | undefined): boolean {
  return flags?.[RECOVERED_FLAG] === true;
}

/**
 * How long a start record's write may go unanswered before its connection is taken for dead: a
 * connection a firewall dropped silently would otherwise hold the jobs waiting for it (marked jobs) for
 * as long as TCP retransmits, about 15 minutes.
 */
const WRITE_TIMEOUT_MS = 10_000;

/**
 * Records which jobs a worker pool with a local queue runs, in its heartbeat row
 * (`switchyard_workers.started`): stalled-job recovery gives back the attempt graphile-worker counted only
 * to the pool's other locked jobs, those its local queue fetched and never handed to a handler. A job
 * whose start was recorded keeps its attempt, so a job that kills its process every time (a handler that
 * blocks the event loop until it is SIGKILLed, an OOM) uses up its attempts and ends failed.
 *
 * A start does not wait for its record. A write goes out as soon as a job starts, unless one is in flight:
 * then the next one, sent when it lands, covers every start since (one write per burst of starts), through
 * a connection held for the purpose. Waiting for the write before each handler cost a round trip per burst,
 * which halved a batched worker's throughput. A job whose process dies before its record landed gets its
 * attempt back, and recovery marks it (RECOVERED_FLAG): a marked job waits until a write that includes it
 * has been answered, so it gets at most that one attempt back (unless the database refuses the write:
 * logged, and the job runs anyway). Marked jobs are the few a crash left behind; their wait costs the
 * rest nothing.
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
  /** The starts since the last write was sent: settled once the next write is answered. */
  #next?: Waiting;
  /** Gives the held connection up when the server ends it while idle (see #connect). */
  #onIdleError?: (error: Error) => void;
  /** The held connection emitted an error: it is given up after the write in flight, if any. */
  #broken = false;
  /** The next write repeats one whose connection was lost: a second loss lets its starts through. */
  #retrying = false;
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
    // Connected now, so that the pool's first starts find the connection ready.
    void this.#connect();
  }

  /**
   * A job started (it is in the running set): a write that includes it goes out now, or right after the
   * one in flight. Resolves once that write has been answered, or has failed (logged). Never rejects.
   * Only a job that waitsForStartRecord awaits it.
   */
  recorded(): Promise<void> {
    if (this.#stopped) return ANSWERED;
    if (!this.#next) {
      let settle!: () => void;
      const answered = new Promise<void>((resolve) => {
        settle = resolve;
      });
      this.#next = { answered, settle };
    }
    const { answered } = this.#next;
    if (this.#client && !this.#inFlight) this.#send(this.#client);
    else if (!this.#client && !this.#connecting) void this.#connect();
    return answered;
  }

  /** Stops writing (the pool stopped, crashed, or could not start): starts waiting for a write are let through. */
  stop(): void {
    this.#stopped = true;
    this.#settleNext();
    if (!this.#inFlight) this.#release();
  }

  #settleNext(): void {
    const next = this.#next;
    this.#next = undefined;
    next?.settle();
  }

  async #connect(): Promise<void> {
    this.#connecting = true;
    let client: PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      this.#connecting = false;
      this.#failed(error as Error);
      this.#settleNext(); // nothing to write with: the starts waiting go on unrecorded
      return;
    }
    this.#connecting = false;
    if (this.#stopped) {
      client.release();
      return;
    }
    // A connection the server ends while idle (a restart, a terminated backend) is given up at once,
    // so the next start connects again instead of writing into a dead socket.
    this.#broken = false;
    this.#onIdleError = (error: Error) => {
      this.#broken = true;
      if (this.#client === client && !this.#inFlight) this.#release(error);
    };
    client.on("error", this.#onIdleError);
    this.#client = client;
    if (this.#next) this.#send(client);
  }

  /** Writes the running set; the starts waiting so far are answered with it. */
  #send(client: PoolClient): void {
    this.#inFlight = true;
    const waiting = this.#next;
    const isRetry = this.#retrying;
    this.#next = undefined;
    this.#retrying = false;
    let answered: Promise<unknown>;
    try {
      answered = client.query({
        name: this.#statement,
        text: `update ${this.#table} set started = $2::bigint[] where pool_id = $1`,
        values: [this.#poolId, [...this.#running()]],
        query_timeout: WRITE_TIMEOUT_MS,
      } as QueryConfig);
    } catch (error) {
      answered = Promise.reject(error);
    }
    answered.then(
      () => {
        this.#failing = false;
        this.#answered(waiting);
      },
      (error: Error) => {
        // A broken or timed-out connection is destroyed and made again; a refused statement keeps it.
        const connectionLost = this.#broken || isConnectionError(error) || /timeout/i.test(error.message);
        if (connectionLost) this.#release(error);
        if (connectionLost && !isRetry && !this.#stopped) {
          // Once more on a new connection (the server ended the held one, say), the same starts waiting.
          this.#next = joined(waiting, this.#next);
          this.#retrying = true;
          this.#inFlight = false;
          if (!this.#connecting) void this.#connect();
          return;
        }
        this.#failed(error);
        this.#answered(waiting);
      },
    );
  }

  #answered(waiting: Waiting | undefined): void {
    this.#inFlight = false;
    waiting?.settle();
    if (this.#stopped) this.#release();
    else if (this.#next) {
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
    if (this.#onIdleError) client?.off("error", this.#onIdleError);
    client?.release(error);
  }
}

type Waiting = { answered: Promise<void>; settle: () => void };

/** One set of waiting starts made of two (either may be absent): settled together. */
function joined(first: Waiting | undefined, second: Waiting | undefined): Waiting | undefined {
  if (!first || !second) return first ?? second;
  return {
    answered: Promise.all([first.answered, second.answered]).then(() => {}),
    settle: () => {
      first.settle();
      second.settle();
    },
  };
}
