import type { IncomingMessage, ServerResponse } from "node:http";
import { sendJson } from "./http-io.js";
import type { RunEngine } from "./run-engine.js";
import { isEnded, type RunState } from "./run-state.js";
import type { RunStore } from "./run-store.js";
import { statusFromV2, toV2Run } from "./run-views.js";
import { isUlid } from "./ulid.js";

/** v2 error shape `{errors: [{code, message}]}` (G:pkg/api/v2/apiv2base/errors.go). */
function fail(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { errors: [{ code, message }] });
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
 * REST v2 (beta) run routes (G:proto/api/v2/service.proto:950-1060):
 * - `GET /v2/runs?status=FAILED&app_id=…&function_id=…&limit=…&cursor=…&order=DESC&include_output=true`:
 *   list runs newest first — how an adapter lists failed runs;
 * - `GET /v2/runs/{runId}`; `POST /v2/runs/{runId}/cancel` (409 once ended);
 * - `POST /v2/runs/{runId}/rerun`: a new run for the same event, `{data: {runId}}`;
 *   404 unknown run, 501 for a cron run (G:pkg/api/v2/endpoints_runs.go:198-256).
 * Returns false when the path is not one of these.
 */
export function handleRestV2(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  store: RunStore,
  engine: RunEngine,
  rerun: (run: RunState) => RunState | undefined,
): boolean {
  const path = url.pathname;
  if (path === "/v2/runs" && req.method === "GET") {
    listRuns(res, url.searchParams, store);
    return true;
  }
  const one = /^\/v2\/runs\/([^/]+)(\/cancel|\/rerun)?$/.exec(path);
  if (!one) return false;
  const runId = decodeURIComponent(one[1] as string);
  const action = one[2]?.slice(1);
  const cancelling = action === "cancel";
  if (action ? req.method !== "POST" : req.method !== "GET") return false;
  if (!isUlid(runId)) {
    fail(res, 400, "invalid_field_format", "Run ID must be a valid ULID");
    return true;
  }
  const run = store.get(runId);
  if (!run) {
    fail(res, 404, "not_found", "Run not found");
    return true;
  }
  if (action === "rerun") {
    if (run.cron) {
      fail(res, 501, "not_implemented", "Rerunning cron-triggered runs is not yet supported");
      return true;
    }
    const created = rerun(run);
    if (created) sendJson(res, 200, { data: { runId: created.id }, metadata: metadata() });
    else fail(res, 500, "internal_error", "Unable to rerun run");
    return true;
  }
  if (!cancelling) {
    sendJson(res, 200, { data: toV2Run(run, true), metadata: metadata() });
    return true;
  }
  // Cancel errors: G:pkg/api/v2/endpoints_runs.go:312-345.
  if (run.status === "Cancelled") fail(res, 409, "run_already_cancelled", "Run is already cancelled");
  else if (isEnded(run)) fail(res, 409, "run_already_ended", "Cannot cancel an ended run");
  else {
    engine.cancel(run, "api");
    sendJson(res, 200, { data: { runId: run.id }, metadata: metadata() });
  }
  return true;
}

/** Limits 1..100, default 20 (G:proto/api/v2/service.proto ListRunsRequest). */
function listRuns(res: ServerResponse, query: URLSearchParams, store: RunStore): void {
  const statusNames = values(query, "status");
  const statuses = statusNames.map(statusFromV2);
  if (statuses.some((s) => s === undefined)) {
    fail(res, 400, "invalid_field_format", `Unknown status in ${statusNames.join(",")}`);
    return;
  }
  const appIds = values(query, "app_id");
  const functionIds = values(query, "function_id");
  if (functionIds.length > 0 && appIds.length === 0) {
    fail(res, 400, "invalid_field_format", "appId is required when filtering by functionId");
    return;
  }
  const limit = Number(query.get("limit") ?? 20);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    fail(res, 400, "invalid_field_format", "Limit must be between 1 and 100");
    return;
  }
  const offset = Number(Buffer.from(query.get("cursor") ?? "", "base64url").toString() || 0);
  if (!Number.isInteger(offset) || offset < 0) {
    fail(res, 400, "invalid_field_format", "Cursor is invalid");
    return;
  }
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
  const page = matching.slice(offset, offset + limit);
  const hasMore = offset + limit < matching.length;
  sendJson(res, 200, {
    data: page.map((run) => toV2Run(run, includeOutput)),
    metadata: metadata(),
    page: {
      ...(hasMore ? { cursor: Buffer.from(String(offset + limit)).toString("base64url") } : {}),
      hasMore,
      limit,
    },
  });
}
