// counts(), list() and retryFailed() of the PostgreSQL backend, over graphile-worker's table and the
// adapter's finished records. Pages are keyset pages on the job id (newest first), so a job leaving
// the state between two pages never makes the next page skip another.
import { ConfigError, type JobPage, type JobState } from "@switchyard/core";
import { toJobSnapshot } from "./job-snapshot.js";
import { isLiveState } from "./sql/job-state-predicates.js";
import { listFinishedJobs } from "./sql/list-finished-jobs.js";
import { listLiveJobs } from "./sql/list-live-jobs.js";
import type { Queryable } from "./sql/queryable.js";

/** A cursor is the id of the last job of the previous page: a PostgreSQL bigint, at most 2^63-1. */
const CURSOR = /^\d{1,19}$/;
const MAX_BIGINT = 2n ** 63n - 1n;

export async function listJobPage(
  db: Queryable,
  schema: string,
  options: { state: JobState; names: ReadonlyArray<string>; limit: number; cursor: string | undefined },
): Promise<JobPage> {
  const { state, names, limit, cursor } = options;
  if (cursor !== undefined && !(CURSOR.test(cursor) && BigInt(cursor) <= MAX_BIGINT)) {
    throw new ConfigError(`list(): cursor "${cursor}" is not a cursor of the postgres backend`);
  }
  // One row more than the page tells whether another page follows.
  const query = { names, before: cursor, limit: limit + 1 };
  const rows = isLiveState(state)
    ? await listLiveJobs(db, schema, { ...query, state })
    : await listFinishedJobs(db, schema, { ...query, cancelled: state === "cancelled" });
  const page = rows.slice(0, limit);
  return {
    jobs: page.map(toJobSnapshot),
    cursor: rows.length > limit ? page.at(-1)!.id : undefined,
  };
}
