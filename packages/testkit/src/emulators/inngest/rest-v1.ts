import type { IncomingMessage, ServerResponse } from "node:http";
import { sendJson } from "./http-io.js";
import type { RunEngine } from "./run-engine.js";
import type { RunStore } from "./run-store.js";
import { toV1Run } from "./run-views.js";
import { isUlid } from "./ulid.js";

/** `{data, metadata}` envelope of v1 answers (G:pkg/api/apiv1/apiv1.go:230-263). */
function envelope(data: unknown): unknown {
  return { data, metadata: { fetched_at: new Date().toISOString() } };
}

/** Errors as `publicerr` writes them: `{error, status}` (G:pkg/publicerr/publicerr.go). */
function fail(res: ServerResponse, status: number, error: string): void {
  sendJson(res, status, { error, status });
}

/**
 * REST v1 routes an adapter needs (https://api-docs.inngest.com, routes at
 * G:pkg/api/apiv1/apiv1.go:207-215):
 * - `GET /v1/events/{eventId}/runs`: runs an event started (what `send`'s id leads to);
 * - `GET /v1/runs/{runId}`: one run with status and output;
 * - `DELETE /v1/runs/{runId}`: cancel; 200 with an empty body, also for an
 *   ended run (G:pkg/execution/executor/executor.go:3225-3262).
 * Returns false when the path is not one of these.
 */
export function handleRestV1(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  store: RunStore,
  engine: RunEngine,
): boolean {
  const eventRuns = /^\/v1\/events\/([^/]+)\/runs$/.exec(path);
  if (eventRuns && req.method === "GET") {
    const eventId = decodeURIComponent(eventRuns[1] as string);
    if (!isUlid(eventId)) fail(res, 400, `Invalid event ID: ${eventId}`);
    else sendJson(res, 200, envelope(store.forEvent(eventId).map(toV1Run)));
    return true;
  }
  const runPath = /^\/v1\/runs\/([^/]+)$/.exec(path);
  if (!runPath || (req.method !== "GET" && req.method !== "DELETE")) return false;
  const runId = decodeURIComponent(runPath[1] as string);
  if (!isUlid(runId)) {
    fail(res, 400, `Invalid run ID: ${runId}`);
    return true;
  }
  const run = store.get(runId);
  if (req.method === "GET") {
    // The real API answers an unknown run with 500 (G:pkg/api/apiv1/runs.go:37-45).
    if (!run) fail(res, 500, `Unable to load function run: ${runId}`);
    else sendJson(res, 200, envelope(toV1Run(run)));
    return true;
  }
  if (!run) {
    fail(res, 404, `Unable to load function run: ${runId}`);
    return true;
  }
  engine.cancel(run, "api");
  sendJson(res, 200);
  return true;
}
