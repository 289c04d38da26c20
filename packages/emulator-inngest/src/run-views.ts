import type { RunState } from "./run-state.js";

/** Fixed environment id reported as `environment_id`. */
const ENVIRONMENT_ID = "00000000-0000-4000-8000-000000000001";

/**
 * A run as REST v1 returns it (`cqrs.FunctionRun`, G:pkg/cqrs/function_runs.go:13-27).
 * v1 only knows a status once the run has finished; before that it reports
 * `Running` (G:pkg/cqrs/manager/cqrs.go toCQRSRun), so `Scheduled` shows as
 * `Running` here. `output` is the return value, or for a failed run the
 * SDK's error body (G:pkg/execution/history/lifecycle.go applyResponse).
 */
export function toV1Run(run: RunState): Record<string, unknown> {
  return {
    run_id: run.id,
    run_started_at: (run.startedAt ?? run.queuedAt).toISOString(),
    function_id: run.functionUuid,
    function_version: 1,
    environment_id: ENVIRONMENT_ID,
    event_id: run.eventId,
    ...(run.originalRunId ? { original_run_id: run.originalRunId } : {}),
    ...(run.cron ? { cron: run.cron } : {}),
    status: run.status === "Scheduled" ? "Running" : run.status,
    ended_at: run.endedAt ? run.endedAt.toISOString() : null,
    ...(run.endedAt && run.output !== undefined ? { output: run.output } : {}),
  };
}

const V2_STATUS: Record<RunState["status"], string> = {
  Scheduled: "QUEUED",
  Running: "RUNNING",
  Completed: "COMPLETED",
  Failed: "FAILED",
  Cancelled: "CANCELLED",
};

/** Maps a v2 status filter value (`FAILED`, `failed`, `FUNCTION_RUN_STATUS_FAILED`) to ours. */
export function statusFromV2(value: string): RunState["status"] | undefined {
  const wanted = value.toUpperCase().replace(/^FUNCTION_RUN_STATUS_/, "");
  return (Object.keys(V2_STATUS) as RunState["status"][]).find((status) => V2_STATUS[status] === wanted);
}

/**
 * How a v2 answer carries a run's output:
 * - `none`: without `include_output=true`, no output;
 * - `trace` (`GET /v2/runs/{id}`): the root span's output, which the executor always wraps as
 *   `{"data": T}`, or `{"error": T}` for a failure (G:pkg/api/v2/endpoints_runs.go:813-840,
 *   G:pkg/execution/state/driver_response.go:375-455);
 * - `list` (`GET /v2/runs`, `GET /v2/events/{id}/runs`): the same output with a `data` wrapper
 *   taken off, so a completed run shows its return value and a failed one `{"error": T}`
 *   (G:pkg/devserver/run_provider.go:299-360, `publicRunOutput`).
 * Either way a value that is not an object is wrapped as `{"data": value}`, since the field is a
 * protobuf Struct (G:pkg/api/v2/endpoints_runs.go:598-627, `jsonToStruct`).
 */
export type V2OutputForm = "none" | "trace" | "list";

/**
 * A run as REST v2 (beta) returns it: message `FunctionRun` of
 * G:proto/api/v2/service.proto:2345-2356 in protojson form — camelCase
 * names, unset fields left out, enum prefixes dropped
 * (G:pkg/api/v2/enum_json.go), 64-bit `durationMs` as a string.
 */
export function toV2Run(run: RunState, output: V2OutputForm): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: run.id,
    function: { id: run.functionId, name: run.functionName, app: { id: run.appId } },
    app: { id: run.appId },
    status: V2_STATUS[run.status],
    queuedAt: run.queuedAt.toISOString(),
    trigger: {
      eventIds: [run.eventId],
      eventName: run.event.name,
      ...(run.cron ? { cronSchedule: run.cron } : {}),
    },
  };
  if (run.startedAt) view.startedAt = run.startedAt.toISOString();
  if (run.endedAt) {
    view.endedAt = run.endedAt.toISOString();
    view.durationMs = String(run.endedAt.getTime() - (run.startedAt ?? run.queuedAt).getTime());
  }
  if (output !== "none" && run.endedAt && run.output !== undefined) {
    const failed = run.status === "Failed";
    const value = failed ? { error: run.output } : output === "trace" ? { data: run.output } : run.output;
    view.output = asStruct(value);
  }
  return view;
}

function asStruct(value: unknown): unknown {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? value : { data: value };
}
