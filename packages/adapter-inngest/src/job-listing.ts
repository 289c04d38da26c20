import { ConfigError, type JobCounts, type JobPage, type JobSnapshot, type JobState } from "@switchyard/core";
import type { ApiRun } from "./inngest-rest-client.js";

/**
 * The states REST v2 (`GET /v2/runs?status=`) tells apart: a run ended COMPLETED, FAILED or
 * CANCELLED. Its QUEUED and RUNNING runs are not one state each: a QUEUED run may wait for a future
 * event time (delayed) and a RUNNING one for its next retry (delayed too), which only the event and
 * the run's queue item say, and a job just sent has no run at all yet.
 */
export const INNGEST_JOB_STATES: ReadonlyArray<JobState> = ["completed", "failed", "cancelled"];

const RUN_STATUS: Partial<Record<JobState, string>> = {
  completed: "COMPLETED",
  failed: "FAILED",
  cancelled: "CANCELLED",
};

/** Runs per `GET /v2/runs` call: its maximum (G:proto/api/v2/service.proto ListRunsRequest.limit). */
const RUNS_PAGE = 100;
/** Runs whose job is read at once while listing or counting. */
const READ_CONCURRENCY = 10;

/** The Inngest calls listing makes (the backend's REST client and snapshot reading). */
export interface ListingApi {
  runs(query: {
    status: string;
    functionId?: string;
    limit: number;
    cursor?: string;
  }): Promise<{ runs: ApiRun[]; cursor?: string }>;
  /** False for a failed run that `retry(id)` replaced by a rerun (its job's state is the rerun's). */
  isJobState(run: ApiRun): Promise<boolean>;
  /** The job the run is the state of; undefined when it is not a job's, or was replaced. */
  snapshot(run: ApiRun, job: string | undefined): Promise<JobSnapshot | undefined>;
}

export class JobListing {
  readonly #api: ListingApi;

  constructor(api: ListingApi) {
    this.#api = api;
  }

  /**
   * Counts by paging `GET /v2/runs` per state (one call per 100 runs); each failed run also costs a
   * read of its event's runs, to leave out the ones a retry replaced.
   */
  async counts(job: string | undefined): Promise<JobCounts> {
    const counts: JobCounts = {};
    for (const state of INNGEST_JOB_STATES) {
      let count = 0;
      let cursor: string | undefined;
      do {
        const page = await this.#api.runs({
          status: RUN_STATUS[state]!,
          functionId: job,
          limit: RUNS_PAGE,
          cursor,
        });
        if (state === "failed") {
          const current = await inBatches(page.runs, (run) => this.#api.isJobState(run));
          count += current.filter(Boolean).length;
        } else {
          count += page.runs.length;
        }
        cursor = page.cursor;
      } while (cursor);
      counts[state] = count;
    }
    return counts;
  }

  /**
   * One page of jobs, newest run first. Each REST call asks for no more runs than the page still
   * needs, so its cursor is where the next page starts; runs that are no job's state (replaced by a
   * retry) only make the page shorter.
   */
  async list(options: { state: JobState; job?: string; limit: number; cursor?: string }): Promise<JobPage> {
    const status = RUN_STATUS[options.state]!;
    let cursor = decodeCursor(options.cursor, options.state);
    const jobs: JobSnapshot[] = [];
    do {
      const limit = Math.min(RUNS_PAGE, options.limit - jobs.length);
      const page = await this.#api.runs({ status, functionId: options.job, limit, cursor });
      const snapshots = await inBatches(page.runs, (run) => this.#api.snapshot(run, options.job));
      for (const snapshot of snapshots) if (snapshot?.state === options.state) jobs.push(snapshot);
      cursor = page.cursor;
    } while (cursor && jobs.length < options.limit);
    return cursor ? { jobs, cursor: `${options.state}:${cursor}` } : { jobs };
  }
}

async function inBatches<T, R>(items: ReadonlyArray<T>, read: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += READ_CONCURRENCY) {
    results.push(...(await Promise.all(items.slice(start, start + READ_CONCURRENCY).map(read))));
  }
  return results;
}

/** Cursors carry the state they page through, so one passed to another state's list is refused. */
function decodeCursor(cursor: string | undefined, state: JobState): string | undefined {
  if (cursor === undefined) return undefined;
  const prefix = `${state}:`;
  if (!cursor.startsWith(prefix) || cursor.length === prefix.length) {
    throw new ConfigError(`list(): cursor "${cursor}" is not a cursor of an inngest list of ${state} jobs`);
  }
  return cursor.slice(prefix.length);
}
