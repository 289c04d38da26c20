import { randomInt } from "node:crypto";
import { EXAMPLE_APP_ID } from "./platforms.js";

// Requests as the platforms send them, for the tests that sign (or forge) one themselves.

/** POSTs `body` to the QStash route as QStash does, with `signature` as Upstash-Signature (or none). */
export function postQStashDelivery(url: string, body: string, signature?: string): Promise<Response> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "upstash-message-id": "msg_from_the_test",
    "upstash-retried": "0",
  };
  if (signature !== undefined) headers["upstash-signature"] = signature;
  return fetch(url, { method: "POST", headers, body });
}

/** A fresh id in ULID form (Crockford base32, 26 characters), as Inngest's run and event ids are. */
export function ulidLike(): string {
  const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  return `01J${Array.from({ length: 23 }, () => alphabet[randomInt(32)]).join("")}`;
}

/** JSON with object keys sorted (RFC 8785 for these plain values): how Inngest sends a request body. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * The body of Inngest's call that runs the welcome job's function for one event: the server's
 * `SDKRequest` (inngest/inngest pkg/execution/driver/request.go), as the SDK's serve() parses it.
 */
export function inngestExecutionBody(email: string, runId: string): string {
  const event = {
    name: "switchyard/welcome.send",
    data: { payload: { email } },
    id: ulidLike(),
    ts: Date.now(),
  };
  return canonical({
    event,
    events: [event],
    steps: {},
    ctx: {
      run_id: runId,
      attempt: 0,
      max_attempts: 1,
      stack: { stack: [], current: 0 },
      disable_immediate_execution: false,
      use_api: false,
    },
    version: -1,
  });
}

/** POSTs an execution call to the Inngest route, with `signature` as X-Inngest-Signature (or none). */
export function postInngestCall(
  routeUrl: string,
  body: string,
  runId: string,
  signature?: string,
): Promise<Response> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-run-id": runId,
    "x-inngest-step-id": "step",
  };
  if (signature !== undefined) headers["x-inngest-signature"] = signature;
  const url = `${routeUrl}?fnId=${EXAMPLE_APP_ID}-welcome.send&stepId=step`;
  return fetch(url, { method: "POST", headers, body });
}
