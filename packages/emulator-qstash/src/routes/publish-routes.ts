import type { EmulatorState } from "../emulator-state.js";
import { badRequest } from "../http-error.js";
import { checkPlanLimits } from "../plan-limits.js";
import { type PublishOutcome, publishMessage } from "../publish-message.js";
import { type HeaderBag, type PublishRequest, parsePublishRequest } from "../publish-request.js";
import { decodeSegment, type Route, type RouteContext, type RouteResult, route } from "../router.js";

/** `{messageId}` (+ `deduplicated: true`), HTTP 202 for a duplicate (qstash/features/deduplication.mdx). */
function publishResult(outcome: PublishOutcome): RouteResult {
  return outcome.deduplicated
    ? { status: 202, body: { messageId: outcome.messageId, deduplicated: true } }
    : { status: 200, body: { messageId: outcome.messageId } };
}

function parseFromContext(
  state: EmulatorState,
  context: RouteContext,
  destination: string,
  queueName?: string,
) {
  return withinPlan(
    state,
    parsePublishRequest({
      // The SDK appends the destination raw, so its own query string arrives as ours (Q:1550).
      destination: destination + context.rawQuery,
      headers: context.headers,
      body: context.body,
      defaultRetries: state.options.defaultRetries,
      ...(queueName ? { queueName } : {}),
      ...(context.callerIp ? { callerIp: context.callerIp } : {}),
    }),
  );
}

/** The request, once within the plan's message size and delay limits (plan-limits.ts). */
function withinPlan(state: EmulatorState, request: PublishRequest): PublishRequest {
  checkPlanLimits(request, state.options);
  return request;
}

interface BatchItem {
  destination?: unknown;
  headers?: unknown;
  body?: unknown;
  queue?: unknown;
}

/** `POST /v2/batch` body: `[{destination, headers, body, queue?}]` (Q:2431-2456, features/batch.mdx). */
function parseBatch(state: EmulatorState, context: RouteContext): PublishRequest[] {
  let items: unknown;
  try {
    items = JSON.parse(context.body.toString("utf8"));
  } catch {
    throw badRequest("batch body must be a JSON array");
  }
  if (!Array.isArray(items)) throw badRequest("batch body must be a JSON array");
  return items.map((raw: BatchItem, index) => {
    if (typeof raw !== "object" || raw === null || typeof raw.destination !== "string") {
      throw badRequest(`batch item ${index}: destination is required`);
    }
    const headers: HeaderBag = {};
    if (raw.headers !== undefined) {
      if (typeof raw.headers !== "object" || raw.headers === null)
        throw badRequest(`batch item ${index}: bad headers`);
      for (const [name, value] of Object.entries(raw.headers)) headers[name.toLowerCase()] = String(value);
    }
    const body = raw.body === undefined || raw.body === null ? "" : String(raw.body);
    return withinPlan(
      state,
      parsePublishRequest({
        destination: raw.destination,
        headers,
        body: Buffer.from(body, "utf8"),
        defaultRetries: state.options.defaultRetries,
        ...(typeof raw.queue === "string" && raw.queue ? { queueName: raw.queue } : {}),
        ...(context.callerIp ? { callerIp: context.callerIp } : {}),
      }),
    );
  });
}

export function publishRoutes(state: EmulatorState): Route[] {
  return [
    route("POST", /^\/v2\/publish\/(.+)$/, (context) =>
      publishResult(publishMessage(state, parseFromContext(state, context, context.params[0] as string))),
    ),
    // "If doesn't exist, it will be created automatically with default parallelism" (OA /v2/enqueue).
    route("POST", /^\/v2\/enqueue\/([^/]+)\/(.+)$/, (context) => {
      const queueName = decodeSegment(context.params[0] as string);
      return publishResult(
        publishMessage(state, parseFromContext(state, context, context.params[1] as string, queueName)),
      );
    }),
    // Validate every item first so that a bad item publishes nothing.
    route("POST", /^\/v2\/batch\/?$/, (context) => {
      const requests = parseBatch(state, context);
      const results = requests.map((request) => {
        const outcome = publishMessage(state, request);
        return { messageId: outcome.messageId, ...(outcome.deduplicated ? { deduplicated: true } : {}) };
      });
      return { status: 200, body: results };
    }),
  ];
}
