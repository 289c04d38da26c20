import type { EmulatorState } from "../emulator-state.js";
import { badRequest } from "../http-error.js";
import { parsePublishRequest } from "../publish-request.js";
import { decodeSegment, type Route, route } from "../router.js";

export function scheduleRoutes(state: EmulatorState): Route[] {
  const { schedules } = state;
  const setPaused =
    (paused: boolean) =>
    (context: { params: string[] }): { status: number } => {
      schedules.setPaused(decodeSegment(context.params[0] as string), paused);
      return { status: 200 };
    };
  return [
    // The SDK pauses/resumes with PATCH (Q:2167-2184); OpenAPI documents POST: accept both.
    route(["PATCH", "POST"], /^\/v2\/schedules\/([^/]+)\/pause$/, setPaused(true)),
    route(["PATCH", "POST"], /^\/v2\/schedules\/([^/]+)\/resume$/, setPaused(false)),
    route("GET", /^\/v2\/schedules\/?$/, () => ({
      status: 200,
      body: schedules.list().map((schedule) => schedules.toApi(schedule)),
    })),
    route("GET", /^\/v2\/schedules\/([^/]+)$/, (context) => ({
      status: 200,
      body: schedules.toApi(schedules.get(decodeSegment(context.params[0] as string))),
    })),
    route("DELETE", /^\/v2\/schedules\/([^/]+)$/, (context) => {
      schedules.delete(decodeSegment(context.params[0] as string));
      return { status: 200 };
    }),
    // Create or overwrite (`Upstash-Schedule-Id`), headers as for publish plus `Upstash-Cron`
    // and `Upstash-Queue-Name` (Q:2037-2122, features/schedules.mdx). Answers `{scheduleId}`.
    route("POST", /^\/v2\/schedules\/(.+)$/, (context) => {
      const cron = context.headers["upstash-cron"];
      if (typeof cron !== "string" || cron.trim() === "") throw badRequest("Upstash-Cron header is required");
      const request = parsePublishRequest({
        destination: (context.params[0] as string) + context.rawQuery,
        headers: context.headers,
        body: context.body,
        defaultRetries: state.options.defaultRetries,
        ...(context.callerIp ? { callerIp: context.callerIp } : {}),
      });
      const scheduleIdHeader = context.headers["upstash-schedule-id"];
      const schedule = schedules.upsert({
        ...(typeof scheduleIdHeader === "string" ? { scheduleId: scheduleIdHeader } : {}),
        cron,
        spec: request.spec,
        ...(request.delayMs === undefined ? {} : { delayMs: request.delayMs }),
      });
      return { status: 200, body: { scheduleId: schedule.scheduleId } };
    }),
  ];
}
