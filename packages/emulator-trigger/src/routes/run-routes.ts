import {
  CanceledRunResponse,
  ListRunResponse,
  ReplayRunRequestBody,
  ReplayRunResponse,
  RescheduleRunRequestBody,
  RetrieveRunResponse,
  UpdateMetadataRequestBody,
  UpdateMetadataResponseBody,
} from "@trigger.dev/core/v3";
import type { EmulatorState } from "../emulator-state.js";
import { parseBody } from "../http/parse-body.js";
import { HttpError, type Route } from "../http/route.js";
import { listRuns } from "../list-runs.js";
import { presentListedRun, presentRetrievedRun } from "../run-presenter.js";
import type { RunRecord } from "../run-record.js";

/** `runs.retrieve/list/cancel/replay/reschedule` and the run metadata endpoints. */
export function runRoutes(state: EmulatorState): Route[] {
  const findRun = (id: string | undefined): RunRecord => {
    const run = id ? state.store.get(id) : undefined;
    if (!run) throw new HttpError(404, `Run ${id} not found`);
    return run;
  };
  const retrieved = (run: RunRecord) =>
    presentRetrievedRun(run, {
      parent: run.parentRunId ? state.store.get(run.parentRunId) : undefined,
      root: run.rootRunId ? state.store.get(run.rootRunId) : undefined,
      children: state.store.all().filter((child) => child.parentRunId === run.id),
      schedule: run.scheduleId ? state.schedules.get(run.scheduleId) : undefined,
    });
  return [
    {
      method: "GET",
      path: "/api/v3/runs/:runId",
      responseSchema: RetrieveRunResponse,
      handle: (request) => ({ body: retrieved(findRun(request.params.runId)) }),
    },
    {
      method: "GET",
      path: "/api/v1/runs",
      responseSchema: ListRunResponse,
      handle(request) {
        const page = listRuns(state.store.all(), request.query, Date.now());
        return {
          body: {
            data: page.data.map((run) => presentListedRun(run, state.environment)),
            pagination: page.pagination,
          },
        };
      },
    },
    {
      method: "POST",
      path: "/api/v2/runs/:runId/cancel",
      responseSchema: CanceledRunResponse,
      handle(request) {
        const run = findRun(request.params.runId);
        state.runs.cancel(run);
        return { body: { id: run.id } };
      },
    },
    {
      method: "POST",
      path: "/api/v1/runs/:runId/replay",
      responseSchema: ReplayRunResponse,
      async handle(request) {
        const original = findRun(request.params.runId);
        const overrides = request.json === undefined ? {} : parseBody(ReplayRunRequestBody, request.json);
        const run = await state.runs.replay(original, overrides);
        return { body: { id: run.id } };
      },
    },
    {
      method: "POST",
      path: "/api/v1/runs/:runId/reschedule",
      responseSchema: RetrieveRunResponse,
      handle(request) {
        const run = findRun(request.params.runId);
        const { delay } = parseBody(RescheduleRunRequestBody, request.json);
        state.runs.reschedule(run, delay);
        return { body: retrieved(run) };
      },
    },
    {
      method: "PUT",
      path: "/api/v1/runs/:runId/metadata",
      responseSchema: UpdateMetadataResponseBody,
      handle(request) {
        const run = findRun(request.params.runId);
        const flushed = parseBody(UpdateMetadataRequestBody, request.json);
        return { body: { metadata: state.runs.updateMetadata(run, flushed) } };
      },
    },
    {
      method: "GET",
      path: "/api/v1/runs/:runId/metadata",
      responseSchema: UpdateMetadataResponseBody,
      handle: (request) => ({ body: { metadata: findRun(request.params.runId).metadata ?? {} } }),
    },
  ];
}
