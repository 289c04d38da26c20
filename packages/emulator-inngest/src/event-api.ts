import type { IncomingMessage, ServerResponse } from "node:http";
import { type EventIntake, InvalidEventError } from "./event-intake.js";
import { readBody, sendJson, tryParseJson } from "./http-io.js";
import { seededUlid } from "./ulid.js";

/**
 * `POST /e/{eventKey}`: the body is one event or an array of events; the
 * answer is `{ids, status}` with one server id per event, in order, and
 * `status` 200 (the SDK treats any other `status`, or an `error`, as a
 * failure: I:components/Inngest.js:605-636, I:types.js:130-134). An unknown
 * key is 401 "Event key not found" (G:pkg/api/api.go:183-190).
 */
export async function handleEventApi(
  req: IncomingMessage,
  res: ServerResponse,
  key: string,
  eventKey: string,
  intake: EventIntake,
): Promise<void> {
  if (key !== eventKey) {
    sendJson(res, 401, { ids: [], status: 401, error: "Event key not found" });
    return;
  }
  const parsed = tryParseJson(await readBody(req));
  if (parsed === undefined) {
    sendJson(res, 400, { ids: [], status: 400, error: "Request body is not JSON" });
    return;
  }
  const events = Array.isArray(parsed) ? parsed : [parsed];
  const seed = req.headers["x-inngest-event-id-seed"];
  const ids: string[] = [];
  try {
    events.forEach((raw, index) => {
      // The server numbers events from 1 when deriving seeded ids (G:pkg/api/api.go:238-270).
      const record = intake.accept(raw, seededUlid(typeof seed === "string" ? seed : undefined, index + 1));
      ids.push(record.internalId);
    });
  } catch (error) {
    if (!(error instanceof InvalidEventError)) throw error;
    sendJson(res, 400, { ids, status: 400, error: error.message });
    return;
  }
  sendJson(res, 200, { ids, status: 200 });
}
