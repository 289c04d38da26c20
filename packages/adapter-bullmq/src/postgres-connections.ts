import { BackendUnavailableError, type StoredOutcome } from "@switchyard/core";
import { type LongTimeout, setLongTimeout } from "@switchyard/core/adapter";
import {
  type BackendFactory,
  createPostgresBackend,
  type JobProgress,
  PostgresConnection,
  type PostgresConnectionOptions,
  type PostgresPoolConfig,
  PostgresQueueBackend,
  type Queue,
  type Worker,
} from "bullmq";
import type { ResolvedPostgresBullmqOptions } from "./postgres-options.js";
import { BACKEND_NAME, isConnectionFailure } from "./unavailable.js";

/**
 * The PostgreSQL connections of one `bullmq({ postgres })` backend. The client's calls share one
 * BullMQ PostgresConnection (a pg pool; every job's Queue uses it through `queueFactory`, so a client
 * with many jobs still holds at most `maxConnections`). Each BullMQ worker owns its connection (a pool
 * and a LISTEN connection, BullMQ's default): `workerConnection` is what it is given.
 */
export class PostgresConnections {
  readonly #options: ResolvedPostgresBullmqOptions;
  readonly #onError: (error: Error) => void;
  #producer?: PostgresConnection;
  /** The producer once its start (readiness, migrations) succeeded. */
  #started?: PostgresConnection;

  constructor(options: ResolvedPostgresBullmqOptions, onError: (error: Error) => void) {
    this.#options = options;
    this.#onError = onError;
  }

  /** The client's connection, created on first use (nothing connects before a call). */
  get producer(): PostgresConnection {
    if (!this.#producer) {
      const producer = new PostgresConnection({
        ...this.#poolConfig(this.#options.maxConnections),
        // A call fails after commandTimeout instead of waiting on a silent server.
        query_timeout: this.#options.commandTimeoutMs,
      });
      producer.on("error", this.#onError);
      this.#producer = producer;
    }
    return this.#producer;
  }

  /** BullMQ backends for the client's Queues: all on the shared producer connection, which they do not close. */
  readonly queueFactory: BackendFactory<PostgresQueueBackend, PostgresConnectionOptions> = (name, opts) =>
    new PostgresQueueBackend(this.producer, name, opts, false);

  /** BullMQ's own factory for workers: each worker's backend owns the connection built from this config. */
  readonly workerFactory: BackendFactory<PostgresQueueBackend, PostgresConnectionOptions> =
    createPostgresBackend;

  /** The connection config of one BullMQ worker running `concurrency` jobs at once. */
  workerConnection(concurrency: number): PostgresPoolConfig {
    // A finish and the next claim at once per running job is more than a pool needs.
    return this.#poolConfig(Math.min(this.#options.maxConnections, concurrency + 2));
  }

  /**
   * Resolves once the producer's schema is ready (BullMQ's migrations, when `migrate`); rejects with
   * BackendUnavailableError (stored "no") after commandTimeout. A connection that failed to start is
   * dropped, so the next call starts afresh (BullMQ memoizes its readiness, failures included).
   */
  ready(): Promise<void> | undefined {
    // Nothing to wait for once the producer started: no promise on the hot path.
    if (this.#producer !== undefined && this.#producer === this.#started) return undefined;
    return this.#start(this.producer);
  }

  async #start(producer: PostgresConnection): Promise<void> {
    const timeoutMs = this.#options.commandTimeoutMs;
    let timer: LongTimeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setLongTimeout(
        () =>
          reject(
            postgresUnavailable(`PostgreSQL did not answer within ${timeoutMs} ms; nothing was sent`, "no"),
          ),
        timeoutMs,
      );
    });
    try {
      await Promise.race([producer.waitUntilReady(), timedOut]);
      if (this.#producer === producer) this.#started = producer;
    } catch (error) {
      if (this.#producer === producer) {
        this.#producer = undefined;
        producer.close().catch(() => {});
      }
      throw toPostgresUnavailable(error, "no");
    } finally {
      timer?.clear();
    }
  }

  async close(): Promise<void> {
    const producer = this.#producer;
    this.#producer = undefined;
    this.#started = undefined;
    await producer?.close();
  }

  #poolConfig(max: number): PostgresPoolConfig {
    const { connectionString, schema, migrate, commandTimeoutMs } = this.#options;
    return {
      connectionString,
      schema,
      ...(migrate ? { migrate: true } : { skipMigrations: true }),
      max,
      connectionTimeoutMillis: commandTimeoutMs,
    };
  }
}

/** PostgreSQL could not be reached or answered nothing. */
export function postgresUnavailable(
  message: string,
  stored: StoredOutcome,
  cause?: unknown,
): BackendUnavailableError {
  return new BackendUnavailableError(
    BACKEND_NAME,
    message,
    cause === undefined ? { stored } : { cause, stored },
  );
}

/** True for a failure of the connection (not of a statement): refused, dropped, timed out, shut down. */
function isPostgresConnectionFailure(error: unknown): boolean {
  if (isConnectionFailure(error)) return true;
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  // Class 08: connection exceptions; 57P01-57P03: the server is shutting down or not accepting.
  if (typeof code === "string" && /^(08|57P0[1-3])/.test(code)) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|pool after calling end/i.test(
    typeof message === "string" ? message : "",
  );
}

/** A connection failure during a call as BackendUnavailableError; any other error as it is. */
export function toPostgresUnavailable(error: unknown, stored: StoredOutcome): unknown {
  if (error instanceof BackendUnavailableError || !isPostgresConnectionFailure(error)) return error;
  const hint = stored === "unknown" ? " (the request was sent: it may have been carried out)" : "";
  return postgresUnavailable(`PostgreSQL is unavailable: ${(error as Error).message}${hint}`, stored, error);
}

/** A BullMQ Queue on the PostgreSQL backend (BullMQ's Queue type is Redis's unless told otherwise). */
export type PostgresQueue = Queue<
  unknown,
  unknown,
  string,
  unknown,
  unknown,
  string,
  PostgresQueueBackend,
  PostgresConnectionOptions
>;

/** A BullMQ Worker on the PostgreSQL backend. */
export type PostgresQueueWorker = Worker<
  unknown,
  unknown,
  string,
  PostgresQueueBackend,
  JobProgress,
  PostgresConnectionOptions
>;
