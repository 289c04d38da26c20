import type { JobLogger } from "@switchyard/core";
import { sleepFor } from "@switchyard/core/adapter";
import type { EnhancedWithPgClient, WithPgClient, WorkerPool } from "graphile-worker";
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

/**
 * graphile-worker 0.17.3 stores each job's completion or failure without awaiting it (`completeJob(job)`
 * and `failJob(...)` in its worker loop), through the pool's `withRetries`, which retries only
 * serialization failures, deadlocks, 57P03, EHOSTUNREACH and ETIMEDOUT. A connection cut by a database
 * restart (57P01, ECONNREFUSED, "Connection terminated unexpectedly") rejected a promise nobody handles,
 * and Node ended the process. This replaces that `withRetries` (graphile-worker reads it at each call)
 * with `retryWhileTransient`: the writes are idempotent (delete the job by id; release it only while this
 * pool holds it), so the outcome is stored once the database is back. Once the scope is abandoned, a
 * write still failing stays pending for ever instead of rejecting: the job's lock is left to stalled-job
 * recovery, as after a crash. Other errors are thrown, as graphile-worker does.
 */
export function retryOutcomeWrites(workerPool: WorkerPool, scope: RetryScope): void {
  const withPgClient = workerPool._withPgClient as EnhancedWithPgClient;
  const withRetries: WithPgClient = (callback) =>
    retryWhileTransient(() => withPgClient(callback), scope, "storing a job's outcome").catch(
      (error: unknown) => {
        if (scope.abandoned() && isTransientError(error)) return new Promise<never>(() => {});
        throw error;
      },
    );
  withPgClient.withRetries = withRetries;
}
