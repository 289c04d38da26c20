import type { Pool, PoolClient, QueryConfig, QueryResult } from "pg";

/**
 * graphile-worker 0.17.3's statements that store jobs' outcomes (completeJobs.js, failJobs.js), by the
 * name they are prepared under, or by their text when prepared statements are off. Each is idempotent: a
 * delete by id, or a release of jobs this pool still holds (`locked_by`).
 */
const OUTCOME_STATEMENT_NAME = /^(complete_job|complete_jobs|complete_job_q|fail_job|fail_job_q)\//;
const OUTCOME_STATEMENT_TEXT =
  /^(with j as \(\s*)?(delete from \S+\._private_jobs as jobs\s+(where id = \$1::bigint|using unnest)|update \S+\._private_jobs as jobs\s+set\s+last_error = \(el->>'message'\))/;

export function isOutcomeStatement(config: unknown): boolean {
  if (typeof config !== "object" || config === null) return false;
  const { name, text } = config as { name?: unknown; text?: unknown };
  if (typeof name === "string") return OUTCOME_STATEMENT_NAME.test(name);
  return typeof text === "string" && OUTCOME_STATEMENT_TEXT.test(text);
}

/** Runs an outcome statement until it is stored (see outcome-retries.ts). */
export type OutcomeWriter = (statement: () => Promise<QueryResult>) => Promise<QueryResult>;

/**
 * The pool graphile-worker's worker pool is given. With batched completion graphile-worker stores a batch
 * of outcomes through its own `withPgClient`, which retries nothing: a batch that meets a lost connection
 * is given up, and the worker pool shuts down with its jobs still locked. Here every outcome statement,
 * whichever client graphile-worker checked out for it, runs through `write` on a connection of its own,
 * retried until the database answers. A client is only connected for the other statements, on first use,
 * so that storing an outcome does not first need a connection to the database that is away. Callback-style
 * `connect` (graphile-worker's LISTEN connection) is the pool's own.
 */
export function outcomeWritingPool(pool: Pool, write: OutcomeWriter): Pool {
  return new Proxy(pool, {
    get(target, property) {
      if (property === "connect") {
        return (callback?: (...args: unknown[]) => void) =>
          callback ? target.connect(callback) : Promise.resolve(lazyClient(target, write));
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * A stand-in for a checked-out client: outcome statements go to `write`; anything else to one client of
 * `pool`, connected on first use and held until `release`, as a checked-out client would be.
 */
function lazyClient(pool: Pool, write: OutcomeWriter): PoolClient {
  let client: Promise<PoolClient> | undefined;
  const stub = {
    query(config: QueryConfig | string, ...rest: unknown[]) {
      if (isOutcomeStatement(config)) return write(() => pool.query(config as QueryConfig));
      client ??= pool.connect();
      return client.then((connected) =>
        (connected.query as (...args: unknown[]) => Promise<QueryResult>)(config, ...rest),
      );
    },
    release(error?: Error | boolean) {
      client?.then(
        (connected) => connected.release(error),
        () => {},
      );
    },
  };
  return stub as unknown as PoolClient;
}
