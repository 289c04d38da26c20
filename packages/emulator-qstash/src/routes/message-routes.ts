import type { EmulatorState } from "../emulator-state.js";
import { notFound } from "../http-error.js";
import { isEmptyFilter, matchesFilter, paginate, parseCount, parseFilter } from "../message-filter.js";
import { isTerminal, toApiMessage } from "../message-record.js";
import { decodeSegment, type Route, route } from "../router.js";

const MAX_LOG_PAGE = 1_000;

export function messageRoutes(state: EmulatorState): Route[] {
  const { engine } = state;
  return [
    // A message "is only retrievable while in flight" (OA GET /v2/messages/{messageId}); afterwards
    // its story is in the logs (GET /v2/events) or the DLQ.
    route("GET", /^\/v2\/messages\/([^/]+)$/, (context) => {
      const id = decodeSegment(context.params[0] as string);
      const record = engine.get(id);
      if (!record || isTerminal(record.state)) throw notFound(`message ${id} not found`);
      return { status: 200, body: toApiMessage(record) };
    }),
    // The SDK's cancel(id) parses the answer as JSON, and its deprecated delete(id) ignores it
    // (Q:1849-1856, Q:1871-1878), so a JSON body serves both. A finished or unknown message is a 404,
    // like GET [inferred: not documented].
    route("DELETE", /^\/v2\/messages\/([^/]+)$/, (context) => {
      const id = decodeSegment(context.params[0] as string);
      if (!engine.cancel(id)) throw notFound(`message ${id} not found`);
      return { status: 200, body: { cancelled: 1 } };
    }),
    // Bulk cancel by `messageIds` or filter; `{all: true}` arrives as no filter at all (Q:464-493).
    route("DELETE", /^\/v2\/messages\/?$/, (context) => {
      const filter = parseFilter(context.query);
      const targets = engine.open().filter(
        (record) =>
          isEmptyFilter(filter) ||
          matchesFilter(filter, {
            messageId: record.id,
            url: record.spec.destination,
            ...(record.scheduleId ? { scheduleId: record.scheduleId } : {}),
            ...(record.spec.queueName ? { queueName: record.spec.queueName } : {}),
            labels: record.spec.labels,
            ...(record.spec.flowControl ? { flowControlKey: record.spec.flowControl.key } : {}),
            ...(record.spec.callerIp ? { callerIp: record.spec.callerIp } : {}),
            time: record.createdAt,
          }),
      );
      let cancelled = 0;
      for (const record of targets) if (engine.cancel(record.id)) cancelled += 1;
      return { status: 200, body: { cancelled } };
    }),
    // Logs, newest first, as `{events, cursor?}` (Client.logs, Q:2493-2506), at most 1,000 a page
    // ("Max 1000", QT LogsRequest.count; a larger count is capped [inferred: not said to be refused]).
    route("GET", /^\/v2\/events\/?$/, (context) => {
      const entries = state.log.query(parseFilter(context.query));
      const count = Math.min(parseCount(context.query), MAX_LOG_PAGE);
      const { page, cursor } = paginate(entries, count, context.query.get("cursor"));
      return { status: 200, body: { events: page, ...(cursor ? { cursor } : {}) } };
    }),
  ];
}
