import {
  createSwitchyard,
  defineJob,
  type Switchyard,
  silentLogger as switchyardSilent,
} from "@switchyard/core";
import { signRequestBody } from "@switchyard/emulator-inngest";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { inngest } from "../src/index.js";
import { silentLogger } from "./inngest-harness.js";

// The served handler is the inngest SDK's own serve(): outside dev mode it refuses any execution
// request that does not carry a valid, fresh `X-Inngest-Signature` for the signing key, and runs
// nothing. These tests call jobs.handler() with forged requests and count the handler's calls.

const SIGNING_KEY = `signkey-test-${"ab12".repeat(16)}`;
const OTHER_KEY = `signkey-test-${"cd34".repeat(16)}`;
const APP_ID = "signature-app";
const JOB = "charge.card";

/** JSON with object keys sorted (RFC 8785 for these plain values): what the SDK signs and checks. */
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
 * An execution request as Inngest sends it to run the job's function: the server's `SDKRequest`
 * (inngest/inngest pkg/execution/driver/request.go:44-126), as the SDK parses it (inngest 4.24.0
 * helpers/functions.js, the request body schema with `event`, `events`, `steps` and `ctx`).
 */
function executionBody(payload: unknown): string {
  const event = {
    name: `switchyard/${JOB}`,
    data: { payload },
    id: "01JABCDEFGHJKMNPQRSTVWXYZ0",
    ts: Date.now(),
  };
  return canonical({
    event,
    events: [event],
    steps: {},
    ctx: {
      run_id: "01JABCDEFGHJKMNPQRSTVWXYZ1",
      attempt: 0,
      max_attempts: 1,
      stack: { stack: [], current: 0 },
      disable_immediate_execution: false,
      use_api: false,
    },
    version: -1,
  });
}

function executionRequest(body: string, signature?: string): Request {
  const headers: Record<string, string> = {
    host: "app.test",
    "content-type": "application/json",
    "x-run-id": "01JABCDEFGHJKMNPQRSTVWXYZ1",
    "x-inngest-step-id": "step",
  };
  if (signature !== undefined) headers["x-inngest-signature"] = signature;
  return new Request(`http://app.test/api/inngest?fnId=${APP_ID}-${JOB}&stepId=step`, {
    method: "POST",
    headers,
    body,
  });
}

function appWithCountedHandler(isDev = false): { jobs: Switchyard; calls: () => number } {
  let calls = 0;
  const job = defineJob({
    name: JOB,
    schema: z.object({ cents: z.number() }),
    retry: { maxAttempts: 1 },
    handler: (payload) => {
      calls++;
      return { charged: payload.cents };
    },
  });
  const backend = inngest({
    appId: APP_ID,
    baseUrl: "http://127.0.0.1:9",
    eventKey: "test-event-key",
    isDev,
    logger: silentLogger,
    ...(isDev ? {} : { signingKey: SIGNING_KEY }),
  });
  const jobs = createSwitchyard({ backend, jobs: [job], logger: switchyardSilent });
  return { jobs, calls: () => calls };
}

describe("inngest adapter: the served handler checks Inngest's signature", () => {
  it("runs the job for a request signed with the signing key (the control case)", async () => {
    const { jobs, calls } = appWithCountedHandler();
    const body = executionBody({ cents: 250 });
    const response = await jobs.handler()(executionRequest(body, signRequestBody(body, SIGNING_KEY)));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ result: { charged: 250 }, switchyard: { attempts: 1 } });
    expect(calls()).toBe(1);
  });

  const forgeries: Array<[string, (body: string) => { body: string; signature?: string }]> = [
    ["no signature", (body) => ({ body })],
    ["a signature made with another key", (body) => ({ body, signature: signRequestBody(body, OTHER_KEY) })],
    [
      "a body changed after signing",
      (body) => ({
        body: body.replace('"cents":250', '"cents":99999'),
        signature: signRequestBody(body, SIGNING_KEY),
      }),
    ],
    [
      "a signature older than 5 minutes (a replayed request)",
      (body) => ({ body, signature: signRequestBody(body, SIGNING_KEY, Date.now() - 10 * 60_000) }),
    ],
    ["a malformed signature header", (body) => ({ body, signature: "t=abc&s=not-hex" })],
  ];

  for (const [what, forge] of forgeries) {
    it(`refuses a request with ${what} with 401 and runs nothing`, async () => {
      const { jobs, calls } = appWithCountedHandler();
      const forged = forge(executionBody({ cents: 250 }));
      const response = await jobs.handler()(executionRequest(forged.body, forged.signature));
      expect(response.status).toBe(401);
      expect(response.headers.get("x-inngest-signature")).toBeNull();
      expect(calls()).toBe(0);
    });
  }

  it("in dev mode (the Inngest Dev Server, never production) runs an unsigned request", async () => {
    const { jobs, calls } = appWithCountedHandler(true);
    const response = await jobs.handler()(executionRequest(executionBody({ cents: 5 })));
    expect(response.status).toBe(200);
    expect(calls()).toBe(1);
  });

  it("refuses to start in cloud mode without a signing key", () => {
    expect(() =>
      inngest({
        appId: APP_ID,
        eventKey: "k",
        isDev: false,
        baseUrl: "http://127.0.0.1:9",
        logger: silentLogger,
      }),
    ).toThrow(/signingKey is required in cloud mode/);
  });
});
