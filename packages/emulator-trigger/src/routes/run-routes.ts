import {
  AddTagsRequestBody,
  CanceledRunResponse,
  ListRunResponse,
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

/** Tags a run can carry (W:apps/webapp/app/models/taskRunTag.server.ts:1, `MAX_TAGS_PER_RUN`). */
const MAX_TAGS_PER_RUN = 10;

/** `runs.retrieve/list/cancel/replay/reschedule`, adding tags, and the run metadata endpoints. */
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
        // The webapp's route reads no body: it replays with `{ triggerSource }` only, so the SDK's
        // overrides (tags, payload, metadata, ...) are ignored and the replay copies the original's
        // (W:apps/webapp/app/routes/api.v1.runs.$runParam.replay.ts:133-137,
        // W:apps/webapp/app/v3/services/replayTaskRun.server.ts:95-99).
        const run = await state.runs.replay(findRun(request.params.runId));
        return { body: { id: run.id } };
      },
    },
    {
      method: "POST",
      path: "/api/v1/runs/:runId/tags",
      handle(request) {
        // W:apps/webapp/app/routes/api.v1.runs.$runId.tags.ts:53-104: one tag or several; blank ones
        // and those the run has are dropped; past MAX_TAGS_PER_RUN nothing is added (422). Any run,
        // finished or not.
        const run = findRun(request.params.runId);
        const { tags } = parseBody(AddTagsRequestBody, request.json);
        const given = (typeof tags === "string" ? [tags] : tags).filter((tag) => tag.trim().length > 0);
        const added = [...new Set(given)].filter((tag) => !run.tags.includes(tag));
        if (run.tags.length + added.length > MAX_TAGS_PER_RUN) {
          throw new HttpError(
            422,
            `Runs can only have ${MAX_TAGS_PER_RUN} tags, you're trying to set ${run.tags.length + added.length}.`,
          );
        }
        if (added.length === 0) return { body: { message: "No new tags to add" } };
        run.tags = [...run.tags, ...added];
        state.store.changed(run);
        return { body: { message: `Successfully set ${added.length} new tags.` } };
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
