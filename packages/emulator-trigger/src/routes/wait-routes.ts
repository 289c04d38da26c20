import { WaitForDurationRequestBody, WaitForDurationResponseBody } from "@trigger.dev/core/v3";
import { resolveIdempotencyKeyExpiry } from "../durations.js";
import type { EmulatorState } from "../emulator-state.js";
import { parseBody } from "../http/parse-body.js";
import { HttpError, type Route } from "../http/route.js";

/**
 * `wait.for` / `wait.until` past the SDK's 5 s threshold → `POST /engine/v1/runs/{id}/wait/duration`
 * `{ date, idempotencyKey?, idempotencyKeyTTL? }` (C:apiClient/index.js waitForDuration): a DATETIME
 * waitpoint that blocks the run until `date` (see RunWaits), answered with `{ waitUntil, waitpoint: { id } }`;
 * a key's waitpoint lives as long as `idempotencyKeyTTL` says, for good without one
 * (W:apps/webapp/app/routes/engine.v1.runs.$runFriendlyId.wait.duration.ts).
 */
export function waitRoutes(state: EmulatorState): Route[] {
  return [
    {
      method: "POST",
      path: "/engine/v1/runs/:runId/wait/duration",
      responseSchema: WaitForDurationResponseBody,
      handle(request) {
        const run = request.params.runId ? state.store.get(request.params.runId) : undefined;
        if (!run) throw new HttpError(401, "You don't have permissions for this run");
        // Only the run's own executing attempt waits (inferred: the engine blocks a run's snapshot).
        if (run.status !== "EXECUTING") throw new HttpError(400, `Run ${run.id} is not executing`);
        const body = parseBody(WaitForDurationRequestBody, request.json);
        const now = Date.now();
        const waitpoint = state.runs.waits.waitForDuration(
          run,
          body.date,
          {
            ...(body.idempotencyKey ? { key: body.idempotencyKey } : {}),
            ...(body.idempotencyKey && body.idempotencyKeyTTL
              ? { expiresAt: resolveIdempotencyKeyExpiry(body.idempotencyKeyTTL, now) }
              : {}),
          },
          now,
        );
        return { body: { waitUntil: body.date, waitpoint: { id: waitpoint.id } } };
      },
    },
  ];
}
