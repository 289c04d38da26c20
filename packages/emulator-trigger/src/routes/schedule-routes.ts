import {
  CreateScheduleOptions,
  DeletedScheduleObject,
  ListSchedulesResult,
  ScheduleObject,
  TimezonesResult,
  UpdateScheduleOptions,
} from "@trigger.dev/core/v3";
import { listTimezones } from "../cron-expression.js";
import type { EmulatorState } from "../emulator-state.js";
import { parseBody } from "../http/parse-body.js";
import { HttpError, type Route, type RouteRequest } from "../http/route.js";
import { presentSchedule } from "../schedule-presenter.js";
import type { ScheduleRecord } from "../schedule-record.js";

const DEFAULT_PER_PAGE = 10;

/** `schedules.create/retrieve/list/update/activate/deactivate/del/timezones`. */
export function scheduleRoutes(state: EmulatorState): Route[] {
  // Declarative schedules follow the catalog, which may have grown since the last request.
  const schedules = () => {
    state.schedules.syncDeclarative();
    return state.schedules;
  };
  const find = (request: RouteRequest): ScheduleRecord => {
    const schedule = schedules().get(request.params.scheduleId ?? "");
    if (!schedule) throw new HttpError(404, `Schedule ${request.params.scheduleId} not found`);
    return schedule;
  };
  const present = (schedule: ScheduleRecord) => ({ body: presentSchedule(schedule, state.environment) });
  return [
    {
      method: "POST",
      path: "/api/v1/schedules",
      responseSchema: ScheduleObject,
      handle: (request) => present(schedules().create(parseBody(CreateScheduleOptions, request.json))),
    },
    {
      // Offset pagination: `page` (1-based) and `perPage` (C:apiClient/core.js zodfetchOffsetLimitPage).
      method: "GET",
      path: "/api/v1/schedules",
      responseSchema: ListSchedulesResult,
      handle(request) {
        const all = schedules().list();
        const perPage = Math.max(1, Number(request.query.get("perPage")) || DEFAULT_PER_PAGE);
        const page = Math.max(1, Number(request.query.get("page")) || 1);
        const data = all.slice((page - 1) * perPage, page * perPage);
        return {
          body: {
            data: data.map((schedule) => presentSchedule(schedule, state.environment)),
            pagination: { currentPage: page, totalPages: Math.ceil(all.length / perPage), count: all.length },
          },
        };
      },
    },
    {
      method: "GET",
      path: "/api/v1/schedules/:scheduleId",
      responseSchema: ScheduleObject,
      handle: (request) => present(find(request)),
    },
    {
      method: "PUT",
      path: "/api/v1/schedules/:scheduleId",
      responseSchema: ScheduleObject,
      handle: (request) =>
        present(schedules().update(find(request).id, parseBody(UpdateScheduleOptions, request.json))),
    },
    {
      method: "POST",
      path: "/api/v1/schedules/:scheduleId/activate",
      responseSchema: ScheduleObject,
      handle: (request) => present(schedules().setActive(find(request).id, true)),
    },
    {
      method: "POST",
      path: "/api/v1/schedules/:scheduleId/deactivate",
      responseSchema: ScheduleObject,
      handle: (request) => present(schedules().setActive(find(request).id, false)),
    },
    {
      method: "DELETE",
      path: "/api/v1/schedules/:scheduleId",
      responseSchema: DeletedScheduleObject,
      handle(request) {
        const { id } = find(request);
        schedules().delete(id);
        return { body: { id } };
      },
    },
    {
      // The SDK calls this one without credentials (S:schedules/index.js timezones).
      method: "GET",
      path: "/api/v1/timezones",
      auth: false,
      responseSchema: TimezonesResult,
      handle: (request) => ({
        body: { timezones: listTimezones(request.query.get("excludeUtc") === "true") },
      }),
    },
  ];
}
