import type { RestAnswer } from "./rest-v1.js";
import type { RunEngine } from "./run-engine.js";
import { isEnded, type RunState } from "./run-state.js";
import type { RunStore } from "./run-store.js";
import { statusFromV2, toV2Run } from "./run-views.js";
import { isUlid } from "./ulid.js";

/** v2 error shape `{errors: [{code, message}]}` (G:pkg/api/v2/apiv2base/errors.go). */
function fail(status: number, code: string, message: string): RestAnswer {
  return { status, body: { errors: [{ code, message }] } };
}

function metadata(): Record<string, unknown> {
  return { fetchedAt: new Date().toISOString() };
}

/** Query values of `name` in either protojson spelling (`function_id` / `functionId`). */
function values(query: URLSearchParams, snake: string): string[] {
  const camel = snake.replace(/_(\w)/g, (_m, c: string) => c.toUpperCase());
  return [...query.getAll(snake), ...query.getAll(camel)].flatMap((v) => v.split(",")).filter(Boolean);
}

/**
 * REST v2 (beta) run routes (G:proto/api/v2/service.proto:950-1060). None is cached: only REST v1
 * mounts the caching middleware (G:pkg/api/apiv1/apiv1.go:182-184).
 * - `GET /v2/runs?status=FAILED&app_id=…&function_id=…&limit=…&cursor=…&order=DESC&include_output=true`:
 *   list runs newest first — how an adapter lists failed runs;
 * - `GET /v2/runs/{runId}`; `POST /v2/runs/{runId}/cancel` (409 once ended);
 * - `GET /v2/events/{eventId}/runs?include_output=&limit=&cursor=`: the runs an event started,
 *   newest first, limit 1..40, default 20 (G:pkg/api/v2/endpoints_runs.go:22-27, 150-196, 350-370;
 *   G:pkg/devserver/run_provider.go:84-140: ordered by queue time, descending);
 * - `POST /v2/runs/{runId}/rerun`: a new run for the same event, `{data: {runId}}`;
 *   404 unknown run, 501 for a cron run (G:pkg/api/v2/endpoints_runs.go:198-256).
 * Returns undefined when the path is not one of these.
 */
export function handleRestV2(
  method: string,
  url: URL,
  store: RunStore,
  engine: RunEngine,
  rerun: (run: RunState) => RunState | undefined,
): RestAnswer | undefined {
  const path = url.pathname;
  if (path === "/v2/runs" && method === "GET") return listRuns(url.searchParams, store);
  const eventRuns = /^\/v2\/events\/([^/]+)\/runs$/.exec(path);
  if (eventRuns && method === "GET") {
    return listEventRuns(decodeURIComponent(eventRuns[1] as string), url.searchParams, store);
  }
  const one = /^\/v2\/runs\/([^/]+)(\/cancel|\/rerun)?$/.exec(path);
  if (!one) return undefined;
  const runId = decodeURIComponent(one[1] as string);
  const action = one[2]?.slice(1);
  if (action ? method !== "POST" : method !== "GET") return undefined;
  if (!isUlid(runId)) return fail(400, "invalid_field_format", "Run ID must be a valid ULID");
  const run = store.get(runId);
  if (!run) return fail(404, "not_found", "Run not found");
  if (action === "rerun") {
    if (run.cron) return fail(501, "not_implemented", "Rerunning cron-triggered runs is not yet supported");
    const created = rerun(run);
    return created
      ? { status: 200, body: { data: { runId: created.id }, metadata: metadata() } }
      : fail(500, "internal_error", "Unable to rerun run");
  }
  if (action !== "cancel") {
    const includeOutput =
      (url.searchParams.get("include_output") ?? url.searchParams.get("includeOutput")) === "true";
    return {
      status: 200,
      body: { data: toV2Run(run, includeOutput ? "trace" : "none"), metadata: metadata() },
    };
  }
  // Cancel errors: G:pkg/api/v2/endpoints_runs.go:312-345.
  if (run.status === "Cancelled") return fail(409, "run_already_cancelled", "Run is already cancelled");
  if (isEnded(run)) return fail(409, "run_already_ended", "Cannot cancel an ended run");
  engine.cancel(run, "api");
  return { status: 200, body: { data: { runId: run.id }, metadata: metadata() } };
}

/** Event runs, newest first (G:pkg/api/v2/endpoints_runs.go:150-196). */
function listEventRuns(eventId: string, query: URLSearchParams, store: RunStore): RestAnswer {
  if (!isUlid(eventId)) return fail(400, "invalid_field_format", "Event ID must be a valid ULID");
  const limit = Number(query.get("limit") ?? 20);
  if (!Number.isInteger(limit) || limit < 1)
    return fail(400, "invalid_field_format", "Limit must be at least 1");
  if (limit > 40) return fail(400, "invalid_field_format", "Limit cannot exceed 40");
  const offset = Number(Buffer.from(query.get("cursor") ?? "", "base64url").toString() || 0);
  if (!Number.isInteger(offset) || offset < 0) return fail(400, "invalid_field_format", "Cursor is invalid");
  const includeOutput = (query.get("include_output") ?? query.get("includeOutput")) === "true";
  const matching = store
    .forEvent(eventId)
    .sort((a, b) => b.queuedAt.getTime() - a.queuedAt.getTime() || (a.id < b.id ? 1 : -1));
  return page(matching, offset, limit, (run) => toV2Run(run, includeOutput ? "list" : "none"));
}

function page(
  runs: RunState[],
  offset: number,
  limit: number,
  view: (run: RunState) => Record<string, unknown>,
): RestAnswer {
  const hasMore = offset + limit < runs.length;
  return {
    status: 200,
    body: {
      data: runs.slice(offset, offset + limit).map(view),
      metadata: metadata(),
      page: {
        ...(hasMore ? { cursor: Buffer.from(String(offset + limit)).toString("base64url") } : {}),
        hasMore,
        limit,
      },
    },
  };
}

/** Limits 1..100, default 20 (G:proto/api/v2/service.proto ListRunsRequest). */
function listRuns(query: URLSearchParams, store: RunStore): RestAnswer {
  const statusNames = values(query, "status");
  const statuses = statusNames.map(statusFromV2);
  if (statuses.some((s) => s === undefined)) {
    return fail(400, "invalid_field_format", `Unknown status in ${statusNames.join(",")}`);
  }
  const appIds = values(query, "app_id");
  const functionIds = values(query, "function_id");
  if (functionIds.length > 0 && appIds.length === 0) {
    return fail(400, "invalid_field_format", "appId is required when filtering by functionId");
  }
  const limit = Number(query.get("limit") ?? 20);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    return fail(400, "invalid_field_format", "Limit must be between 1 and 100");
  }
  const offset = Number(Buffer.from(query.get("cursor") ?? "", "base64url").toString() || 0);
  if (!Number.isInteger(offset) || offset < 0) return fail(400, "invalid_field_format", "Cursor is invalid");
  const ascending = (query.get("order") ?? "DESC").toUpperCase() === "ASC";
  const includeOutput = (query.get("include_output") ?? query.get("includeOutput")) === "true";

  const matching = store
    .all()
    .filter((run) => statuses.length === 0 || statuses.includes(run.status))
    .filter((run) => appIds.length === 0 || appIds.includes(run.appId))
    .filter((run) => functionIds.length === 0 || functionIds.includes(run.functionId))
    .sort(
      (a, b) =>
        (a.queuedAt.getTime() - b.queuedAt.getTime() || (a.id < b.id ? -1 : 1)) * (ascending ? 1 : -1),
    );
  return page(matching, offset, limit, (run) => toV2Run(run, includeOutput ? "list" : "none"));
}
