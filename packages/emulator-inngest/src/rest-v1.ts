import type { IncomingMessage, ServerResponse } from "node:http";
import { toV1Event } from "./event-views.js";
import { sendJson } from "./http-io.js";
import type { RunEngine } from "./run-engine.js";
import type { RunStore } from "./run-store.js";
import { toV1Run } from "./run-views.js";
import type { EventRecord } from "./types.js";
import { isUlid } from "./ulid.js";

/** `GET /v1/events` page size: default 20, at most 51 (G:pkg/api/apiv1/events.go:20-23, G:pkg/cqrs/events.go:14). */
const DEFAULT_EVENTS = 20;
const MAX_EVENTS = 51;
/** Without `received_after`, events of the last hour (G:pkg/cqrs/events.go:108-124). */
const DEFAULT_EVENTS_WINDOW_MS = 3_600_000;

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
 * - `GET /v1/events?name=&received_after=&received_before=&cursor=&limit=`:
 *   events newest first, internal events (`inngest/*`) left out; `cursor` is
 *   an internal id, the page holds older events (G:pkg/api/apiv1/events.go:47-96,
 *   G:pkg/cqrs/manager/cqrs.go GetEvents);
 * - `GET /v1/events/{eventId}`: one event by its internal id, 404 when unknown;
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
  events: readonly EventRecord[],
): boolean {
  if (path === "/v1/events" && req.method === "GET") {
    listEvents(res, new URL(req.url ?? "/", "http://localhost").searchParams, events);
    return true;
  }
  const onePath = /^\/v1\/events\/([^/]+)$/.exec(path);
  if (onePath && req.method === "GET") {
    const eventId = decodeURIComponent(onePath[1] as string);
    const record = isUlid(eventId) ? events.find((e) => e.internalId === eventId) : undefined;
    if (!isUlid(eventId)) fail(res, 400, `Invalid event ID: ${eventId}`);
    else if (!record) fail(res, 404, "Event not found");
    else sendJson(res, 200, envelope(toV1Event(record)));
    return true;
  }
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

function listEvents(res: ServerResponse, query: URLSearchParams, events: readonly EventRecord[]): void {
  const limit = Number(query.get("limit") || DEFAULT_EVENTS);
  const cursor = query.get("cursor") ?? "";
  if (cursor !== "" && !isUlid(cursor)) {
    fail(res, 400, "Invalid cursor query parameter");
    return;
  }
  const after = parseTime(query.get("received_after"));
  const before = parseTime(query.get("received_before"));
  if (after === null || before === null) {
    fail(res, 400, "Invalid received_after query parameter");
    return;
  }
  const oldest = after ?? Date.now() - DEFAULT_EVENTS_WINDOW_MS;
  const newest = before ?? Date.now();
  const name = query.get("name") || undefined;
  const page = events
    .filter((record) => !record.event.name.startsWith("inngest/"))
    .filter((record) => name === undefined || record.event.name === name)
    .filter((record) => cursor === "" || record.internalId.toUpperCase() < cursor.toUpperCase())
    .filter((record) => {
      const at = record.receivedAt.getTime();
      return at >= oldest && at <= newest;
    })
    .sort((a, b) => (a.internalId < b.internalId ? 1 : -1))
    .slice(0, Math.min(Math.max(Number.isInteger(limit) ? limit : DEFAULT_EVENTS, 1), MAX_EVENTS));
  sendJson(res, 200, envelope(page.map(toV1Event)));
}

/** An RFC 3339 time (G:pkg/dateutil); undefined when absent, null when unparseable. */
function parseTime(text: string | null): number | undefined | null {
  if (!text) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}
