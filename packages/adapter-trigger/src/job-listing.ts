import { ConfigError, type JobCounts, type JobPage, type JobSnapshot, type JobState } from "@switchyard/core";
import type { AnyRetrieveRunResult } from "@trigger.dev/sdk";
import { FAILED_STATUSES, jobState } from "./job-snapshot.js";
import { RunHistory } from "./run-history.js";

type RunStatus = AnyRetrieveRunResult["status"];

/** A run as `runs.list` gives it: no payload, output or error (C:schemas/api.js ListRunResponseItem). */
export interface ListedRun {
  id: string;
  status: RunStatus;
  taskIdentifier: string;
  tags: string[];
}

/** Every state: Trigger.dev's run statuses map onto all of them (job-snapshot.ts jobState). */
export const TRIGGER_JOB_STATES: ReadonlyArray<JobState> = [
  "waiting",
  "delayed",
  "active",
  "completed",
  "failed",
  "cancelled",
];

/**
 * The run statuses a job in each state can have. An EXECUTING run is active, or delayed while it
 * waits for its next attempt (its metadata says, see toJobSnapshot): it is listed for both and the
 * snapshot decides.
 */
const STATUSES: Record<JobState, ReadonlyArray<RunStatus>> = {
  waiting: ["PENDING_VERSION", "QUEUED", "DEQUEUED"],
  delayed: ["DELAYED", "EXECUTING"],
  active: ["EXECUTING", "WAITING"],
  completed: ["COMPLETED"],
  failed: FAILED_STATUSES,
  cancelled: ["CANCELED"],
};

/** Runs per `runs.list` call: `page[size]` is 1..100 (W:apps/webapp/app/presenters/v3/ApiRunListPresenter.server.ts). */
const RUNS_PAGE = 100;
/** Runs read at once (`runs.retrieve`) while listing or counting. */
const READ_CONCURRENCY = 8;

/** The Trigger.dev calls listing makes; the backend makes them with its error handling. */
export interface ListingApi {
  /** One `runs.list` page of the tasks' runs in `statuses` (all statuses without), newest first. */
  runs(query: {
    taskIdentifier: string[];
    status?: ReadonlyArray<RunStatus>;
    limit: number;
    after?: string;
  }): Promise<{ runs: ListedRun[]; next?: string }>;
  /** The snapshot of the job a listed run belongs to, when the run is that job's newest. */
  snapshot(run: ListedRun): Promise<JobSnapshot | undefined>;
}

export class JobListing {
  readonly #api: ListingApi;

  constructor(api: ListingApi) {
    this.#api = api;
  }

  /**
   * Counts by paging the tasks' runs (one `runs.list` call per 100 runs; Trigger.dev has no count
   * call) and reading each EXECUTING run, which is active or waiting for its retry. A run replayed by
   * `retry(id)` is not its job's state any more, and is left out.
   */
  async counts(tasks: string[]): Promise<JobCounts> {
    const counts: JobCounts = {};
    for (const state of TRIGGER_JOB_STATES) counts[state] = 0;
    if (tasks.length === 0) return counts;
    let after: string | undefined;
    do {
      const page = await this.#api.runs({ taskIdentifier: tasks, limit: RUNS_PAGE, after });
      const current = page.runs.filter((run) => !RunHistory.wasReplayed(run));
      const executing = current.filter((run) => run.status === "EXECUTING");
      for (const run of current) {
        if (run.status !== "EXECUTING") counts[jobState(run.status)]! += 1;
      }
      for (const snapshot of await inBatches(executing, (run) => this.#api.snapshot(run))) {
        if (snapshot) counts[snapshot.state]! += 1;
      }
      after = page.next;
    } while (after);
    return counts;
  }

  /**
   * One page of jobs in `state`, newest run first, each read with `runs.retrieve` (the list leaves
   * out payload, output and error). Each list call asks for no more runs than the page still needs,
   * so its cursor is where the next page starts; runs whose job is in another state (a replayed run,
   * an EXECUTING run waiting for its retry) only make the page shorter.
   */
  async list(options: {
    state: JobState;
    tasks: string[];
    limit: number;
    cursor?: string;
  }): Promise<JobPage> {
    let after = decodeCursor(options.cursor, options.state);
    const jobs: JobSnapshot[] = [];
    if (options.tasks.length === 0) return { jobs };
    do {
      const limit = Math.min(RUNS_PAGE, options.limit - jobs.length);
      const page = await this.#api.runs({
        taskIdentifier: options.tasks,
        status: STATUSES[options.state],
        limit,
        after,
      });
      const current = page.runs.filter((run) => !RunHistory.wasReplayed(run));
      for (const snapshot of await inBatches(current, (run) => this.#api.snapshot(run))) {
        if (snapshot?.state === options.state) jobs.push(snapshot);
      }
      after = page.next;
    } while (after && jobs.length < options.limit);
    return after ? { jobs, cursor: `${options.state}:${after}` } : { jobs };
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
    throw new ConfigError(`list(): cursor "${cursor}" is not a cursor of a trigger list of ${state} jobs`);
  }
  return cursor.slice(prefix.length);
}
