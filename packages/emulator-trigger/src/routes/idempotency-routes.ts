import { ResetIdempotencyKeyResponse } from "@trigger.dev/core/v3";
import { z } from "zod";
import type { EmulatorState } from "../emulator-state.js";
import { parseBody } from "../http/parse-body.js";
import { HttpError, type Route } from "../http/route.js";
import { resetIdempotencyKey } from "../idempotency.js";

const ResetBody = z.object({ taskIdentifier: z.string().min(1) });

/**
 * `idempotencyKeys.reset(task, key)` → `POST /api/v1/idempotencyKeys/{hashedKey}/reset`
 * `{ taskIdentifier }` (C:apiClient/index.js resetIdempotencyKey): clears the key on every run
 * of the task; 404 when no run held it.
 */
export function idempotencyRoutes(state: EmulatorState): Route[] {
  return [
    {
      method: "POST",
      path: "/api/v1/idempotencyKeys/:key/reset",
      responseSchema: ResetIdempotencyKeyResponse,
      handle(request) {
        const key = request.params.key ?? "";
        const { taskIdentifier } = parseBody(ResetBody, request.json);
        if (resetIdempotencyKey(state.store, taskIdentifier, key) === 0) {
          throw new HttpError(404, `No run of ${taskIdentifier} holds that idempotency key`);
        }
        return { body: { id: key } };
      },
    },
  ];
}
