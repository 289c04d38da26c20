import type { JobLogger } from "@switchyard/core";
import { sleepFor } from "@switchyard/core/adapter";
import type { EnhancedWithPgClient, WithPgClient, WorkerPool } from "graphile-worker";
import type { PoolClient } from "pg";
import { isTransientError } from "./connection-errors.js";

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 2_000;

/** When to stop retrying, and where to say so. */
export interface RetryScope {
  /** True once the worker stopped without reaching the database: its pending writes are given up. */
  abandoned(): boolean;
  logger: JobLogger;
}

/**
 * Runs `write` until it succeeds, retrying transient errors (connection lost or refused, server
 * restarting, serialization failure, deadlock) with backoff from 100 ms to 2 s. Throws any other error,
 * and the last one once the scope is abandoned. Only for idempotent writes.
 */
export async function retryWhileTransient<T>(
  write: () => Promise<T>,
  scope: RetryScope,
  what: string,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (!isTransientError(error) || scope.abandoned()) throw error;
      if (attempt === 0) {
        scope.logger.warn(`postgres: ${what} failed; retrying until the database answers`, {
          error: (error as Error).message,
        });
      }
      await sleepFor(Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** attempt));
    }
  }
}

/** The codes graphile-worker 0.17.3's `withRetries` retries (`RETRYABLE_ERROR_CODES`, not exported). */
const GRAPHILE_RETRYABLE = new Set(["40001", "40P01", "57P03", "EHOSTUNREACH", "ETIMEDOUT"]);

/** graphile-worker 0.17.3 registers the task names once per pool, and keeps a failure for the pool's life. */
const TASK_REGISTRATION = /\binsert into \S+\._private_tasks\b/i;

/**
 * graphile-worker 0.17.3 stores jobs' completions and failures without awaiting them, in batches
 * (`completeJobBatchDelay`, `failJobBatchDelay`) or one by one through the pool's `withRetries`, which
 * retries only serialization failures, deadlocks, 57P03, EHOSTUNREACH and ETIMEDOUT: a connection cut by a
 * database restart (57P01, ECONNREFUSED, "Connection terminated unexpectedly") would reject a promise
 * nobody handles, or give a batch up and shut the pool down. Those statements are stored by
 * `OutcomeWrites.store` instead, whichever way graphile-worker sends them (outcome-pool.ts routes them).
 *
 * This replaces the pool's `withRetries` too (graphile-worker reads it at each call). graphile-worker
 * hands it as a bare function to exactly the one-by-one outcome writes (`batchCompleteJobs(ctx,
 * withPgClient.withRetries, ...)`), and calls it as a method everywhere else:
 * - bare calls run once: their statement is an outcome statement, stored by `OutcomeWrites`;
 * - method calls (fetching jobs, which is not idempotent; resetting stale locks; registering task names)
 *   keep graphile-worker's policy, except that, while the pool runs, a connection that could not be made
 *   (nothing was sent) and the task-name registration (whose failure would stop the pool from ever
 *   fetching again) are retried too. A stopping pool is never held up by them.
 */
export function retryGraphileStatements(workerPool: WorkerPool, scope: RetryScope): void {
  const withPgClient = workerPool._withPgClient as EnhancedWithPgClient;
  const graphileWithRetries = withPgClient.withRetries;
  const whileRunning: RetryScope = {
    abandoned: () => scope.abandoned() || !workerPool._active,
    logger: scope.logger,
  };
  function withRetries<T>(this: unknown, callback: (client: PoolClient) => Promise<T>): Promise<T> {
    if (this !== withPgClient) return withPgClient(callback);
    return graphileStatement(callback);
  }
  async function graphileStatement<T>(callback: (client: PoolClient) => Promise<T>): Promise<T> {
    let statement: string | undefined;
    const observed = (client: PoolClient) =>
      callback(recordingStatements(client, (text) => (statement ??= text)));
    try {
      return await withPgClient(observed);
    } catch (error) {
      const safeToRetry = statement === undefined || TASK_REGISTRATION.test(statement);
      if (safeToRetry && isTransientError(error) && !whileRunning.abandoned()) {
        return retryWhileTransient(() => withPgClient(callback), whileRunning, "a graphile-worker query");
      }
      if (GRAPHILE_RETRYABLE.has((error as { code?: string })?.code ?? ""))
        return graphileWithRetries(callback);
      throw error;
    }
  }
  withPgClient.withRetries = withRetries as WithPgClient;
}

/**
 * The outcome writes of one worker pool: each is retried while the error is transient (an outcome
 * statement is idempotent) until the database answers, and counted while in flight, so that a stop can
 * wait for them (graphile-worker does not); `stored` is called after each one lands (the jobs' named
 * queues are free again then, not when their tasks return). Once the scope is abandoned, a write still
 * failing (or failing because close() ended the pool) stays pending for ever instead of rejecting: its
 * jobs' locks are left to stalled-job recovery, as after a crash.
 */
export class OutcomeWrites {
  readonly #scope: RetryScope;
  readonly #stored: () => void;
  #pending = 0;
  #drained: Array<() => void> = [];

  constructor(scope: RetryScope, stored: () => void) {
    this.#scope = scope;
    this.#stored = stored;
  }

  /** Runs `statement` until it is stored (see the class). */
  store<T>(statement: () => Promise<T>): Promise<T> {
    const write = retryWhileTransient(statement, this.#scope, "storing jobs' outcomes");
    this.#track(write);
    write.then(this.#stored, () => {});
    return write.catch((error: unknown) => {
      if (this.#scope.abandoned()) return new Promise<never>(() => {});
      throw error;
    });
  }

  #track(write: Promise<unknown>): void {
    this.#pending++;
    const settled = () => {
      if (--this.#pending > 0) return;
      for (const resolve of this.#drained.splice(0)) resolve();
    };
    write.then(settled, settled);
  }

  /** Resolves once no write is in flight (at once when none is). */
  drained(): Promise<void> {
    if (this.#pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }
}

/** `client`, telling `record` the text of each statement it is given. */
function recordingStatements(client: PoolClient, record: (text: string) => void): PoolClient {
  return new Proxy(client, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (property === "query") {
        return (config: unknown, ...rest: unknown[]) => {
          const text = typeof config === "string" ? config : (config as { text?: unknown } | null)?.text;
          if (typeof text === "string") record(text);
          return (value as (...args: unknown[]) => unknown).call(target, config, ...rest);
        };
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
