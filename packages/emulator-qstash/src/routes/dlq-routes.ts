import { type DlqEntry, toApiDlqMessage } from "../dead-letter-queue.js";
import type { EmulatorState } from "../emulator-state.js";
import { notFound } from "../http-error.js";
import { paginate, parseCount, parseFilter } from "../message-filter.js";
import { decodeSegment, type Route, type RouteContext, route } from "../router.js";

/**
 * The entries a bulk DLQ call works on: by `dlqIds` (no paging), else by filter (or all) with
 * `count` (default 100) and `cursor` (Q:464-493, QT DLQBulkActionFilters).
 */
function selectEntries(
  state: EmulatorState,
  context: RouteContext,
  consumes: boolean,
): { entries: DlqEntry[]; cursor?: string } {
  const filter = parseFilter(context.query);
  const matching = state.dlq.query(filter);
  if (filter.dlqIds) return { entries: matching };
  // Delete and retry remove what they process, so their next page starts at the top again.
  const { page, cursor } = paginate(
    matching,
    parseCount(context.query),
    consumes ? null : context.query.get("cursor"),
  );
  return { entries: page, ...(cursor ? { cursor } : {}) };
}

/**
 * Republishes a DLQ entry as a new message and removes the entry: "Republished messages are just
 * like any other message and will be retried automatically if they fail" (features/dlq.mdx).
 */
function retryEntry(state: EmulatorState, entry: DlqEntry): string {
  state.dlq.delete(entry.dlqId);
  const original = entry.message;
  const record = state.engine.create(original.spec, {
    ...(original.scheduleId ? { scheduleId: original.scheduleId } : {}),
  });
  return record.id;
}

export function dlqRoutes(state: EmulatorState): Route[] {
  const { dlq } = state;
  const entry = (rawId: string) => {
    const dlqId = decodeSegment(rawId);
    const found = dlq.get(dlqId);
    if (!found) throw notFound(`dlq message ${dlqId} not found`);
    return found;
  };
  return [
    // `{messages, cursor?}`; the SDK maps `messages`, so it is always an array (Q:1234-1253).
    route("GET", /^\/v2\/dlq\/?$/, (context) => {
      const { entries, cursor } = selectEntries(state, context, false);
      return { status: 200, body: { messages: entries.map(toApiDlqMessage), ...(cursor ? { cursor } : {}) } };
    }),
    // The SDK's retry() always sends ids as a query list, even for one id (Q:1324-1336); OpenAPI
    // answers 201.
    route("POST", /^\/v2\/dlq\/retry\/?$/, (context) => {
      const { entries, cursor } = selectEntries(state, context, true);
      const responses = entries.map((item) => ({ messageId: retryEntry(state, item) }));
      return { status: 201, body: { responses, ...(cursor ? { cursor } : {}) } };
    }),
    route("POST", /^\/v2\/dlq\/retry\/([^/]+)$/, (context) => ({
      status: 201,
      body: { messageId: retryEntry(state, entry(context.params[0] as string)) },
    })),
    route("GET", /^\/v2\/dlq\/([^/]+)$/, (context) => ({
      status: 200,
      body: toApiDlqMessage(entry(context.params[0] as string)),
    })),
    route("DELETE", /^\/v2\/dlq\/([^/]+)$/, (context) => {
      dlq.delete(entry(context.params[0] as string).dlqId);
      return { status: 200 };
    }),
    route("DELETE", /^\/v2\/dlq\/?$/, (context) => {
      const { entries, cursor } = selectEntries(state, context, true);
      for (const item of entries) dlq.delete(item.dlqId);
      return { status: 200, body: { deleted: entries.length, ...(cursor ? { cursor } : {}) } };
    }),
  ];
}
