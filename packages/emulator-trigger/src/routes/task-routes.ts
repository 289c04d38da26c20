import { TriggerTaskRequestBody, TriggerTaskResponse } from "@trigger.dev/core/v3";
import type { EmulatorState } from "../emulator-state.js";
import { parseBody } from "../http/parse-body.js";
import type { Route, RouteResponse } from "../http/route.js";
import { publicAccessToken } from "./public-token.js";

/**
 * `POST /api/v1/tasks/{taskId}/trigger` → 200 `{ id, isCached }`
 * (W:apps/webapp/app/routes/api.v1.tasks.$taskId.trigger.ts). The SDK sends one
 * `x-trigger-request-idempotency-key` per logical call and keeps it across its own retries; the
 * server replays its first answer for that key (same route), so a retried trigger creates no
 * second run.
 */
export function taskRoutes(state: EmulatorState): Route[] {
  const answered = new Map<string, RouteResponse>();
  return [
    {
      method: "POST",
      path: "/api/v1/tasks/:taskId/trigger",
      responseSchema: TriggerTaskResponse,
      async handle(request) {
        const requestKey = request.headers["x-trigger-request-idempotency-key"];
        const replay = typeof requestKey === "string" ? answered.get(requestKey) : undefined;
        if (replay) return replay;
        const body = parseBody(TriggerTaskRequestBody, request.json);
        const { run, isCached } = await state.runs.trigger({
          taskIdentifier: request.params.taskId ?? "",
          body,
        });
        const answer: RouteResponse = {
          status: 200,
          body: { id: run.id, isCached },
          headers: { "x-trigger-jwt": publicAccessToken(`read:runs:${run.id}`) },
        };
        if (typeof requestKey === "string") answered.set(requestKey, answer);
        return answer;
      },
    },
  ];
}
