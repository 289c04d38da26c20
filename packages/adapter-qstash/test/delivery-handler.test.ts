import {
  createSwitchyard,
  defineJob,
  type JobContext,
  PermanentError,
  RetryAfterError,
  type RetryPolicy,
  silentLogger,
} from "@switchyard/core";
import { retryAfterMs, signDelivery } from "@switchyard/emulator-qstash";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { qstash } from "../src/index.js";

// The handler's answers, called directly as a Web `Request → Response` function with requests signed
// like QStash's. No QStash is needed: answering a delivery never calls the QStash API.
const keys = { currentSigningKey: "sig_current_test_key", nextSigningKey: "sig_next_test_key" };
const handlerUrl = "https://app.example.com/api/jobs";

/** A client with one job whose handler is `run`; returns its handler and what the handler saw. */
function setup(run: (payload: { n: number }, ctx: JobContext) => unknown, retry?: RetryPolicy) {
  const seen: JobContext[] = [];
  const job = defineJob({
    name: "work.item",
    schema: z.object({ n: z.number().int() }),
    ...(retry ? { retry } : {}),
    handler: (payload, ctx) => {
      seen.push(ctx);
      return run(payload, ctx);
    },
  });
  const jobs = createSwitchyard({
    backend: qstash({ token: "unused", ...keys, url: handlerUrl }),
    jobs: [job],
    logger: silentLogger,
  });
  return { handler: jobs.handler(), seen };
}

/** A delivery as QStash sends it: signed for its URL and body, with the attempt headers. */
function delivery(options: {
  body?: string;
  query?: string;
  retried?: number;
  maxRetries?: number;
  signal?: AbortSignal;
}): Request {
  const url = `${handlerUrl}?${options.query ?? "job=work.item"}`;
  const body = options.body ?? JSON.stringify({ n: 1 });
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "upstash-message-id": "msg_test_1",
    "upstash-retried": String(options.retried ?? 0),
    "upstash-signature": signDelivery({ signingKey: keys.currentSigningKey, url, body: Buffer.from(body) }),
  };
  if (options.maxRetries !== undefined) headers["upstash-max-retries"] = String(options.maxRetries);
  return new Request(url, {
    method: "POST",
    headers,
    body,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

describe("qstash handler: answers QStash acts on", () => {
  it("answers 200 when the job completes, with the attempt read from Upstash-Retried", async () => {
    const { handler, seen } = setup(() => "ok");
    const response = await handler(delivery({ retried: 2, maxRetries: 4 }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ switchyard: 1, status: "completed", attempt: 3 });
    expect(seen[0]).toMatchObject({ id: "msg_test_1", attempt: 3, maxAttempts: 5 });
  });

  it("uses the Switchyard id in the signed URL for a job published again by retry(id)", async () => {
    const { handler, seen } = setup(() => {});
    const response = await handler(delivery({ query: "job=work.item&retry=msg_original" }));
    expect(response.status).toBe(200);
    expect(seen[0]?.id).toBe("msg_original");
  });

  it("maps a PermanentError to 489 with Upstash-NonRetryable-Error: true", async () => {
    const { handler } = setup(() => {
      throw new PermanentError("no such address");
    });
    const response = await handler(delivery({ maxRetries: 4 }));
    expect(response.status).toBe(489);
    expect(response.headers.get("upstash-nonretryable-error")).toBe("true");
    expect(response.headers.get("retry-after")).toBeNull();
    expect(await response.json()).toEqual({
      switchyard: 1,
      status: "failed",
      attempt: 1,
      error: { message: "no such address", code: "SWITCHYARD_PERMANENT" },
    });
  });

  it("maps a RetryAfterError to 503 with Retry-After, in seconds or as a Go duration", async () => {
    for (const [after, header] of [
      ["2s", "2"],
      ["1500ms", "1500ms"],
    ] as const) {
      const { handler } = setup(() => {
        throw new RetryAfterError(after);
      });
      const response = await handler(delivery({ maxRetries: 2 }));
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe(header);
      expect(response.headers.get("upstash-nonretryable-error")).toBeNull();
    }
  });

  it("caps a Retry-After at one day, the most QStash honours", async () => {
    const { handler } = setup(() => {
      throw new RetryAfterError("3d");
    });
    const response = await handler(delivery({ maxRetries: 2 }));
    expect(response.headers.get("retry-after")).toBe("86400");
  });

  it("maps another error to a retryable 500 with the job's backoff as Retry-After", async () => {
    const { handler } = setup(
      () => {
        throw new Error("database down");
      },
      { maxAttempts: 3, backoff: { type: "exponential", delay: "2s", factor: 3 } },
    );
    const first = await handler(delivery({ maxRetries: 2 }));
    expect(first.headers.get("retry-after")).toBe("2");
    const response = await handler(delivery({ maxRetries: 2, retried: 1 }));
    expect(response.status).toBe(500);
    expect(response.headers.get("retry-after")).toBe("6");
    expect(await response.json()).toMatchObject({ status: "retry", error: { message: "database down" } });
  });

  it("answers a jittered job's retry with Retry-After, inside the jitter bounds", async () => {
    const { handler } = setup(
      () => {
        throw new Error("flaky");
      },
      { maxAttempts: 3, backoff: { type: "fixed", delay: "10s" }, jitter: 0.5 },
    );
    for (let i = 0; i < 5; i++) {
      const response = await handler(delivery({ maxRetries: 2 }));
      expect(response.status).toBe(500);
      // Read as QStash reads it (the emulator's parser: seconds, date or Go duration).
      const ms = retryAfterMs({ "retry-after": response.headers.get("retry-after") ?? "" }, Date.now()) ?? -1;
      expect(ms).toBeGreaterThanOrEqual(5_000);
      expect(ms).toBeLessThanOrEqual(10_000);
    }
  });

  it("stops QStash on the last attempt with 489: core decides, not QStash's own count", async () => {
    const { handler } = setup(() => {
      throw new Error("still failing");
    });
    const response = await handler(delivery({ retried: 2, maxRetries: 2 }));
    expect(response.status).toBe(489);
    expect(await response.json()).toMatchObject({ status: "failed", attempt: 3 });
  });

  it("fails a payload that no longer matches the schema permanently, without calling the handler", async () => {
    const { handler, seen } = setup(() => {});
    const response = await handler(delivery({ body: JSON.stringify({ n: "one" }) }));
    expect(response.status).toBe(489);
    expect(await response.json()).toMatchObject({
      status: "failed",
      error: { code: "SWITCHYARD_VALIDATION" },
    });
    expect(seen).toHaveLength(0);
  });

  it("fails a body that is not JSON permanently", async () => {
    const { handler, seen } = setup(() => {});
    const response = await handler(delivery({ body: "not json" }));
    expect(response.status).toBe(489);
    expect(response.headers.get("upstash-nonretryable-error")).toBe("true");
    expect(seen).toHaveLength(0);
  });

  it("fails a signed delivery to the bare handler URL (no job parameter) permanently", async () => {
    const { handler, seen } = setup(() => {});
    const body = JSON.stringify({ n: 1 });
    const response = await handler(
      new Request(handlerUrl, {
        method: "POST",
        headers: {
          "upstash-retried": "1",
          "upstash-signature": signDelivery({
            signingKey: keys.currentSigningKey,
            url: handlerUrl,
            body: Buffer.from(body),
          }),
        },
        body,
      }),
    );
    expect(response.status).toBe(489);
    expect(response.headers.get("upstash-nonretryable-error")).toBe("true");
    expect(await response.json()).toMatchObject({
      switchyard: 1,
      status: "failed",
      attempt: 2,
      error: { code: "SWITCHYARD_PERMANENT" },
    });
    expect(seen).toHaveLength(0);
  });

  it("fails a job this app does not know permanently", async () => {
    const { handler } = setup(() => {});
    const response = await handler(delivery({ query: "job=gone.job" }));
    expect(response.status).toBe(489);
    expect(await response.json()).toMatchObject({ error: { code: "SWITCHYARD_CONFIG" } });
  });

  it("aborts the attempt's signal when the request is aborted (QStash gave up on the call)", async () => {
    const controller = new AbortController();
    let aborted = false;
    const { handler } = setup(
      (_payload, ctx) =>
        new Promise<void>((resolve) => {
          ctx.signal.addEventListener("abort", () => {
            aborted = true;
            resolve();
          });
          setTimeout(() => controller.abort(), 20);
        }),
    );
    await handler(delivery({ signal: controller.signal, maxRetries: 2 }));
    expect(aborted).toBe(true);
  });
});
