import {
  BatchItemNDJSON,
  CreateBatchRequestBody,
  CreateBatchResponse,
  RetrieveBatchV2Response,
  StreamBatchItemsResponse,
} from "@trigger.dev/core/v3";
import type { EmulatorState } from "../emulator-state.js";
import { parseBody } from "../http/parse-body.js";
import { HttpError, type Route } from "../http/route.js";
import { publicAccessToken } from "./public-token.js";

/** The batch endpoints behind `batchTrigger` / `tasks.batchTrigger` and `batch.retrieve`. */
export function batchRoutes(state: EmulatorState): Route[] {
  const findBatch = (id: string | undefined) => {
    const batch = id ? state.batches.get(id) : undefined;
    if (!batch) throw new HttpError(404, `Batch ${id} not found`);
    return batch;
  };
  return [
    {
      // Phase 1; the server answers 202 (W:apps/webapp/app/routes/api.v3.batches.ts).
      method: "POST",
      path: "/api/v3/batches",
      responseSchema: CreateBatchResponse,
      handle(request) {
        const body = parseBody(CreateBatchRequestBody, request.json);
        const { batch, isCached } = state.batches.create(body);
        return {
          status: 202,
          body: { id: batch.id, runCount: batch.runCount, isCached, idempotencyKey: batch.idempotencyKey },
          headers: { "x-trigger-jwt": publicAccessToken(`read:batch:${batch.id}`) },
        };
      },
    },
    {
      // Phase 2: NDJSON items; any other content type is a 415
      // (W:apps/webapp/app/routes/api.v3.batches.$batchId.items.ts).
      method: "POST",
      path: "/api/v3/batches/:batchId/items",
      responseSchema: StreamBatchItemsResponse,
      async handle(request) {
        if (!request.headers["content-type"]?.includes("application/x-ndjson")) {
          throw new HttpError(415, "Content-Type must be application/x-ndjson");
        }
        const batch = findBatch(request.params.batchId);
        const items = request.text
          .split("\n")
          .filter((line) => line.trim() !== "")
          .map((line) => {
            let parsed: unknown;
            try {
              parsed = JSON.parse(line);
            } catch {
              throw new HttpError(400, "Invalid NDJSON line");
            }
            return parseBody(BatchItemNDJSON, parsed);
          });
        return { status: 200, body: await state.batches.addItems(batch, items) };
      },
    },
    {
      method: "GET",
      path: "/api/v2/batches/:batchId",
      responseSchema: RetrieveBatchV2Response,
      handle(request) {
        return { body: state.batches.present(findBatch(request.params.batchId)) };
      },
    },
  ];
}
