// jobs.counts(), jobs.list() and jobs.retryFailed(): the option checks and the retryFailed fallback,
// the same on every backend.
import type { Backend } from "./backend.js";
import { requireFeature, supports } from "./capabilities.js";
import { ConfigError } from "./errors/config-error.js";
import { NotSupportedError } from "./errors/not-supported-error.js";
import type {
  CountOptions,
  JobCounts,
  JobPage,
  JobState,
  ListOptions,
  RetryFailedOptions,
  RetryFailedResult,
} from "./interfaces.js";
import { checkOptions, describeValue } from "./option-checks.js";

const JOB_STATES: ReadonlyArray<JobState> = [
  "waiting",
  "delayed",
  "active",
  "completed",
  "failed",
  "cancelled",
];
export const MAX_LIST_LIMIT = 1000;
const DEFAULT_LIST_LIMIT = 100;
const DEFAULT_RETRY_FAILED_LIMIT = 1000;
/** Failed jobs fetched per page by the retryFailed fallback. */
const RETRY_PAGE = 100;

export async function countJobs(backend: Backend, options: CountOptions | undefined): Promise<JobCounts> {
  const checked = checkOptions(options, "counts()", ["job"]);
  const job = checkJobName(checked.job, "counts()");
  requireFeature(backend.capabilities, "jobs.counts", "counts()");
  if (!backend.counts) throw missingMethod(backend, "counts");
  const counted = backend.capabilities.jobStates?.counted ?? [];
  const counts = await backend.counts({ job });
  const result: JobCounts = {};
  for (const state of counted) result[state] = counts[state] ?? 0;
  return result;
}

export async function listJobs(backend: Backend, options: ListOptions): Promise<JobPage> {
  const checked = checkOptions(options, "list()", ["state", "job", "limit", "cursor"]);
  const state = checked.state as unknown;
  if (typeof state !== "string" || !JOB_STATES.includes(state as JobState)) {
    throw new ConfigError(
      `list(): state must be one of ${JOB_STATES.join(", ")}, got ${describeValue(state)}`,
    );
  }
  const job = checkJobName(checked.job, "list()");
  const limit = checkLimit(checked.limit ?? DEFAULT_LIST_LIMIT, "list()", MAX_LIST_LIMIT);
  if (checked.cursor !== undefined && (typeof checked.cursor !== "string" || checked.cursor === "")) {
    throw new ConfigError(
      `list(): cursor must be the cursor of a previous page, got ${describeValue(checked.cursor)}`,
    );
  }
  requireFeature(backend.capabilities, "jobs.list", "list()");
  if (!backend.list) throw missingMethod(backend, "list");
  if (!(backend.capabilities.jobStates?.listed ?? []).includes(state as JobState)) {
    throw new NotSupportedError(
      backend.capabilities.backend,
      `list({ state: "${state}" })`,
      `it lists ${backend.capabilities.jobStates?.listed.join(", ") || "no state"}`,
    );
  }
  return backend.list({ state: state as JobState, job, limit, cursor: checked.cursor });
}

/**
 * Runs failed jobs again. Backends without a bulk retry get the fallback: pass over the failed jobs
 * (page after page with the cursor where the backend lists), retrying each job not tried yet; then
 * pass again from the top, since a platform cursor may shift as retried jobs leave the state, until
 * the limit is reached or a whole pass retries nothing. A job that fails again at once, or that another
 * process retried, is tried once by this call.
 */
export async function retryFailedJobs(
  backend: Backend,
  options: RetryFailedOptions | undefined,
): Promise<RetryFailedResult> {
  const checked = checkOptions(options, "retryFailed()", ["job", "limit"]);
  const job = checkJobName(checked.job, "retryFailed()");
  const limit = checkLimit(checked.limit ?? DEFAULT_RETRY_FAILED_LIMIT, "retryFailed()");
  requireFeature(backend.capabilities, "jobs.retryFailed", "retryFailed()");
  if (backend.capabilities.features["jobs.retryFailed"] === "native" && backend.retryFailed) {
    return { retried: await backend.retryFailed({ job, limit }) };
  }
  const list = supports(backend.capabilities, "jobs.list") ? backend.list?.bind(backend) : undefined;
  const page = async (cursor: string | undefined): Promise<JobPage> =>
    list
      ? list({ state: "failed", job, limit: RETRY_PAGE, cursor })
      : { jobs: await backend.listFailed({ job, limit: RETRY_PAGE }) };
  const retried: string[] = [];
  const tried = new Set<string>();
  for (let progressed = true; progressed && retried.length < limit; ) {
    progressed = false;
    let cursor: string | undefined;
    do {
      const { jobs, cursor: next } = await page(cursor);
      for (const snapshot of jobs) {
        if (retried.length >= limit) break;
        if (tried.has(snapshot.id)) continue;
        tried.add(snapshot.id);
        if (await backend.retry(snapshot.id)) {
          retried.push(snapshot.id);
          progressed = true;
        }
      }
      cursor = next;
    } while (cursor !== undefined && retried.length < limit);
  }
  return { retried };
}

function checkJobName(job: unknown, where: string): string | undefined {
  if (job !== undefined && (typeof job !== "string" || job === "")) {
    throw new ConfigError(`${where}: job must be a job name, got ${describeValue(job)}`);
  }
  return job;
}

function checkLimit(limit: unknown, where: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? "a positive integer" : `an integer from 1 to ${max}`;
    throw new ConfigError(`${where}: limit must be ${range}, got ${describeValue(limit)}`);
  }
  return limit as number;
}

function missingMethod(backend: Backend, method: string): ConfigError {
  return new ConfigError(
    `the ${backend.capabilities.backend} backend declares jobs.${method} but has no ${method}() method`,
  );
}
