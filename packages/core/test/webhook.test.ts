import { afterEach, describe, expect, it } from "vitest";
import {
  deliverWebhook,
  signWebhook,
  verifyWebhook,
  WEBHOOK_HEADERS,
  WebhookVerificationError,
} from "../src/index.js";
import { localServer } from "./local-server.js";

const servers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe("signed webhooks", () => {
  it("delivers a payload that the receiver verifies, with a stable idempotency key across retries", async () => {
    const seen: Array<{ key: string; body: string }> = [];
    let calls = 0;
    const server = await localServer((request, body, response) => {
      calls++;
      try {
        const { idempotencyKey } = verifyWebhook({
          secret: "s3cret",
          body,
          headers: request.headers as Record<string, string>,
        });
        seen.push({ key: idempotencyKey, body });
        response.writeHead(calls === 1 ? 503 : 200).end();
      } catch {
        response.writeHead(401).end();
      }
    });
    servers.push(server);
    const response = await deliverWebhook({
      url: server.url,
      secret: "s3cret",
      payload: { event: "order.paid", id: 17 },
      idempotencyKey: "order-17",
      backoff: { type: "fixed", delay: 10 },
    });
    expect(response.status).toBe(200);
    expect(seen).toEqual([
      { key: "order-17", body: '{"event":"order.paid","id":17}' },
      { key: "order-17", body: '{"event":"order.paid","id":17}' },
    ]);
  });

  const body = '{"a":1}';
  const signed = signWebhook({ secret: "k", body, idempotencyKey: "id-1", timestampSeconds: 1_000_000 });

  it("accepts a good signature and returns the idempotency key", () => {
    expect(verifyWebhook({ secret: "k", body, headers: signed, nowSeconds: 1_000_010 })).toEqual({
      idempotencyKey: "id-1",
      timestampSeconds: 1_000_000,
    });
    expect(
      verifyWebhook({ secret: ["old", "k"], body, headers: new Headers(signed), nowSeconds: 1_000_000 })
        .idempotencyKey,
    ).toBe("id-1");
  });

  it.each([
    ["a tampered body", { body: '{"a":2}' }],
    ["a wrong secret", { secret: "other" }],
    ["a stale timestamp", { nowSeconds: 1_000_301 }],
    ["a timestamp from the future", { nowSeconds: 999_600 }],
    ["a changed idempotency key", { headers: { ...signed, [WEBHOOK_HEADERS.idempotencyKey]: "id-2" } }],
    ["a missing signature", { headers: { ...signed, [WEBHOOK_HEADERS.signature]: undefined } }],
    [
      "a truncated signature",
      {
        headers: { ...signed, [WEBHOOK_HEADERS.signature]: signed[WEBHOOK_HEADERS.signature]!.slice(0, 20) },
      },
    ],
  ])("rejects %s", (_what, change) => {
    const options = {
      secret: "k",
      body,
      headers: signed as Record<string, string | undefined>,
      nowSeconds: 1_000_000,
      ...change,
    };
    expect(() => verifyWebhook(options)).toThrow(WebhookVerificationError);
  });
});
