// The dashboard's JSON API, under <basePath>/api/. Reads are GETs; actions are POSTs that the
// handler has already checked for Origin, CSRF token and read-only mode.
import {
  ConfigError,
  type JobCounts,
  type JobState,
  NotSupportedError,
  type Switchyard,
  supports,
} from "@switchyard/core";
import { jobDetail, jobSummary, scheduleView } from "./job-view.js";
import type { Offers } from "./offers.js";
import type { Redactor } from "./redact.js";

const PAGE_SIZE = 50;

export interface ApiContext {
  jobs: Switchyard;
  offers: Offers;
  redact: Redactor;
}

/** Answers `GET` routes; undefined when no route matches. */
export async function readRoute(context: ApiContext, path: string, url: URL): Promise<Response | undefined> {
  const { jobs, offers, redact } = context;
  if (path === "overview") {
    const job = url.searchParams.get("job") || undefined;
    if (offers.counted.length === 0) return json({ offers });
    // One counts() call per job shown: the totals are the rows' sum (counts() without a job covers
    // the client's jobs, the same); an operator's client (no jobs) has no rows, and one call.
    const names = job ? [job] : jobs.jobNames;
    if (names.length === 0) return json({ offers, counts: await jobs.counts(), byJob: [] });
    const byJob = await Promise.all(
      names.map(async (name) => ({ job: name, counts: await jobs.counts({ job: name }) })),
    );
    return json({ offers, counts: sumCounts(byJob.map((row) => row.counts)), byJob });
  }
  if (path === "jobs") {
    const state = url.searchParams.get("state") ?? "";
    const job = url.searchParams.get("job") || undefined;
    const cursor = url.searchParams.get("cursor") || undefined;
    if (!offers.listed.includes(state)) {
      return problem(501, `the ${offers.backend} backend cannot list ${state || "jobs without a state"}`);
    }
    if (!supports(jobs.capabilities, "jobs.list")) {
      const failed = await jobs.listFailed({ job, limit: PAGE_SIZE });
      return json({ jobs: failed.map(jobSummary) });
    }
    const page = await jobs.list({ state: state as never, job, cursor, limit: PAGE_SIZE });
    return json({ jobs: page.jobs.map(jobSummary), cursor: page.cursor });
  }
  const detail = /^jobs\/([^/]+)$/.exec(path);
  if (detail) {
    if (!offers.get) return problem(501, `the ${offers.backend} backend cannot look jobs up by id`);
    const snapshot = await jobs.get(decodeURIComponent(detail[1]!));
    return snapshot ? json({ job: jobDetail(snapshot, redact) }) : problem(404, "no job has this id");
  }
  if (path === "schedules") {
    const schedules = await jobs.schedules.list();
    return json({ schedules: schedules.map((entry) => scheduleView(entry, redact)) });
  }
  return undefined;
}

/** Answers `POST` routes; undefined when no route matches. */
export async function actionRoute(
  context: ApiContext,
  path: string,
  url: URL,
): Promise<Response | undefined> {
  const { jobs, offers } = context;
  const action = /^jobs\/([^/]+)\/(retry|cancel)$/.exec(path);
  if (action) {
    const id = decodeURIComponent(action[1]!);
    if (action[2] === "retry") {
      if (!offers.retry) return problem(501, `the ${offers.backend} backend cannot retry jobs`);
      return json({ retried: await jobs.retry(id) });
    }
    if (!offers.cancel) return problem(501, `the ${offers.backend} backend cannot cancel jobs`);
    return json({ cancelled: await jobs.cancel(id) });
  }
  if (path === "retry-failed") {
    if (!offers.retryFailed)
      return problem(501, `the ${offers.backend} backend cannot retry failed jobs in bulk`);
    const job = url.searchParams.get("job") || undefined;
    const { retried } = await jobs.retryFailed({ job });
    return json({ retried: retried.length });
  }
  return undefined;
}

/** A thrown error as an answer: bad input (options, a malformed %-escape) 400, unsupported 501, anything else 500 with its message. */
export function errorResponse(error: unknown): Response {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof ConfigError || error instanceof URIError) return problem(400, message);
  if (error instanceof NotSupportedError) return problem(501, message);
  return problem(500, message);
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  });
}

export function problem(status: number, message: string): Response {
  return json({ error: message }, status);
}

function sumCounts(all: ReadonlyArray<JobCounts>): JobCounts {
  const total: JobCounts = {};
  for (const counts of all) {
    for (const [state, count] of Object.entries(counts) as Array<[JobState, number]>) {
      total[state] = (total[state] ?? 0) + count;
    }
  }
  return total;
}
