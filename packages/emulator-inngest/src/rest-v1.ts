import { toV1Event } from "./event-views.js";
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

/** A REST answer before it is written; `maxAgeSeconds` makes it cacheable (see ResponseCache). */
export interface RestAnswer {
  status: number;
  body?: unknown;
  maxAgeSeconds?: number;
}

/**
 * `{data, metadata}` envelope of v1 answers; a cacheable one says until when in
 * `metadata.cached_until` (G:pkg/api/apiv1/apiv1.go:230-263, `WriteCachedResponse`).
 */
function envelope(data: unknown, maxAgeSeconds = 0): RestAnswer {
  const now = Date.now();
  const metadata: Record<string, unknown> = { fetched_at: new Date(now).toISOString() };
  if (maxAgeSeconds > 0) metadata.cached_until = new Date(now + maxAgeSeconds * 1_000).toISOString();
  return { status: 200, body: { data, metadata }, ...(maxAgeSeconds > 0 ? { maxAgeSeconds } : {}) };
}

/** Errors as `publicerr` writes them: `{error, status}` (G:pkg/publicerr/publicerr.go); never cached. */
function fail(status: number, error: string): RestAnswer {
  return { status, body: { error, status } };
}

/**
 * How long each cacheable route's answer is kept: `GET /v1/events/{id}` 5 s,
 * `GET /v1/events/{id}/runs` 15 s (G:pkg/api/apiv1/events.go:139, 192), `GET /v1/runs/{id}` 3 s
 * (G:pkg/api/apiv1/runs.go:48). `GET /v1/events` is not cached ("Do not cache this response",
 * events.go:96).
 */
const EVENT_MAX_AGE_S = 5;
/** `GET /v1/runs/{id}/jobs` 5 s (G:pkg/api/apiv1/runs.go:140). */
const RUN_JOBS_MAX_AGE_S = 5;
const EVENT_RUNS_MAX_AGE_S = 15;
const RUN_MAX_AGE_S = 3;

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
 *   ended run (G:pkg/execution/executor/executor.go:3225-3262);
 * - `GET /v1/runs/{runId}/jobs`: the run's items in the queue, each `{JobID, at, position, kind,
 *   attempt}` (G:pkg/api/apiv1/runs.go:93-141, G:pkg/execution/queue/queue.go:255-268,
 *   G:pkg/execution/state/redis_state/reader.go:22-80); a run waiting for a retry shows its item
 *   due at the retry time with the next attempt. The item's `Raw` queue record is left out.
 * Returns undefined when the path is not one of these.
 */
export function handleRestV1(
  method: string,
  url: URL,
  store: RunStore,
  engine: RunEngine,
  events: readonly EventRecord[],
): RestAnswer | undefined {
  const path = url.pathname;
  if (path === "/v1/events" && method === "GET") return listEvents(url.searchParams, events);
  const onePath = /^\/v1\/events\/([^/]+)$/.exec(path);
  if (onePath && method === "GET") {
    const eventId = decodeURIComponent(onePath[1] as string);
    if (!isUlid(eventId)) return fail(400, `Invalid event ID: ${eventId}`);
    const record = events.find((e) => e.internalId === eventId);
    return record ? envelope(toV1Event(record), EVENT_MAX_AGE_S) : fail(404, "Event not found");
  }
  const eventRuns = /^\/v1\/events\/([^/]+)\/runs$/.exec(path);
  if (eventRuns && method === "GET") {
    const eventId = decodeURIComponent(eventRuns[1] as string);
    if (!isUlid(eventId)) return fail(400, `Invalid event ID: ${eventId}`);
    return envelope(store.forEvent(eventId).map(toV1Run), EVENT_RUNS_MAX_AGE_S);
  }
  const runJobs = /^\/v1\/runs\/([^/]+)\/jobs$/.exec(path);
  if (runJobs && method === "GET") {
    const runId = decodeURIComponent(runJobs[1] as string);
    if (!isUlid(runId)) return fail(400, `Invalid run ID: ${runId}`);
    const run = store.get(runId);
    if (!run) return fail(500, `Unable to load function run: ${runId}`);
    const jobs = [...run.queue.values()]
      .sort((a, b) => a.at.getTime() - b.at.getTime())
      .map((job) => ({
        JobID: job.id,
        at: job.at.toISOString(),
        position: 0,
        kind: job.kind,
        attempt: job.attempt,
      }));
    return envelope(jobs, RUN_JOBS_MAX_AGE_S);
  }
  const runPath = /^\/v1\/runs\/([^/]+)$/.exec(path);
  if (!runPath || (method !== "GET" && method !== "DELETE")) return undefined;
  const runId = decodeURIComponent(runPath[1] as string);
  if (!isUlid(runId)) return fail(400, `Invalid run ID: ${runId}`);
  const run = store.get(runId);
  if (method === "GET") {
    // The real API answers an unknown run with 500 (G:pkg/api/apiv1/runs.go:37-45).
    return run ? envelope(toV1Run(run), RUN_MAX_AGE_S) : fail(500, `Unable to load function run: ${runId}`);
  }
  if (!run) return fail(404, `Unable to load function run: ${runId}`);
  engine.cancel(run, "api");
  return { status: 200 };
}

function listEvents(query: URLSearchParams, events: readonly EventRecord[]): RestAnswer {
  const limit = Number(query.get("limit") || DEFAULT_EVENTS);
  const cursor = query.get("cursor") ?? "";
  if (cursor !== "" && !isUlid(cursor)) return fail(400, "Invalid cursor query parameter");
  const after = parseTime(query.get("received_after"));
  const before = parseTime(query.get("received_before"));
  if (after === null || before === null) return fail(400, "Invalid received_after query parameter");
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
  return envelope(page.map(toV1Event));
}

/** An RFC 3339 time (G:pkg/dateutil); undefined when absent, null when unparseable. */
function parseTime(text: string | null): number | undefined | null {
  if (!text) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}
