import { parseNaturalLanguageDurationInMs } from "@trigger.dev/core/v3/isomorphic";
import { HttpError } from "./http/route.js";
import type { RunRecord } from "./run-record.js";

const DEFAULT_PAGE_SIZE = 25;
/**
 * `page[size]` is an integer 1..100; anything else fails the search params' validation, a 400
 * (W:apps/webapp/app/presenters/v3/ApiRunListPresenter.server.ts `ApiRunListSearchParams`).
 */
const MAX_PAGE_SIZE = 100;

export interface RunPage {
  data: RunRecord[];
  pagination: { next?: string; previous?: string };
}

/**
 * `GET /api/v1/runs`: the `filter[...]` parameters the SDK sends (C:apiClient/index.js
 * createSearchQueryForListRuns), newest first, paged with `page[size]` and run-id cursors in
 * `page[after]` / `page[before]` (C:apiClient/core.js zodfetchCursorPage). `bulkAction`,
 * `machine` and `region` filters match what the emulator stores.
 */
export function listRuns(runs: readonly RunRecord[], query: URLSearchParams, now: number): RunPage {
  const list = (name: string) => query.get(`filter[${name}]`)?.split(",").filter(Boolean);
  const statuses = list("status");
  const tasks = list("taskIdentifier");
  const versions = list("version");
  const tags = list("tag");
  const queues = list("queue");
  const machines = list("machine");
  const regions = list("region");
  const schedule = query.get("filter[schedule]");
  const batch = query.get("filter[batch]");
  const isTest = query.get("filter[isTest]");
  const from = query.get("filter[createdAt][from]");
  const to = query.get("filter[createdAt][to]");
  const period = query.get("filter[createdAt][period]");
  const periodMs = period ? parseNaturalLanguageDurationInMs(period) : undefined;

  const matching = runs
    .filter((run) => !statuses || statuses.includes(run.status))
    .filter((run) => !tasks || tasks.includes(run.taskIdentifier))
    .filter((run) => !versions || (run.lockToVersion !== undefined && versions.includes(run.lockToVersion)))
    .filter((run) => !tags || run.tags.some((tag) => tags.includes(tag)))
    .filter((run) => !queues || queues.includes(run.queue))
    .filter((run) => !machines || (run.machine !== undefined && machines.includes(run.machine)))
    .filter((run) => !regions || (run.region !== undefined && regions.includes(run.region)))
    .filter((run) => !schedule || run.scheduleId === schedule)
    .filter((run) => !batch || run.batchId === batch)
    .filter((run) => isTest === null || String(run.isTest) === isTest)
    .filter((run) => !from || run.createdAt.getTime() >= Number(from))
    .filter((run) => !to || run.createdAt.getTime() <= Number(to))
    .filter((run) => periodMs === undefined || run.createdAt.getTime() >= now - periodMs)
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());

  const size = pageSize(query.get("page[size]"));
  const after = query.get("page[after]");
  const before = query.get("page[before]");
  let start = 0;
  if (after) start = matching.findIndex((run) => run.id === after) + 1;
  else if (before) start = Math.max(0, matching.findIndex((run) => run.id === before) - size);
  const end =
    before && !after
      ? Math.max(
          start,
          matching.findIndex((run) => run.id === before),
        )
      : start + size;
  const data = matching.slice(start, end);
  return {
    data,
    pagination: {
      next: end < matching.length ? data.at(-1)?.id : undefined,
      previous: start > 0 ? data[0]?.id : undefined,
    },
  };
}

function pageSize(raw: string | null): number {
  if (raw === null || raw === "") return DEFAULT_PAGE_SIZE;
  const size = Number(raw);
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new HttpError(400, `Invalid page[size]: ${raw} (an integer from 1 to ${MAX_PAGE_SIZE})`);
  }
  return size;
}
