import { defineJob, type Switchyard } from "@switchyard/core";
import type { QStashEmulator } from "@switchyard/emulator-qstash";
import type { Client } from "@upstash/qstash";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type EmulatedApp, startEmulatedApp } from "./emulated-app.js";

// What an enqueue becomes on QStash, read back through the SDK. Every message is delayed by an hour,
// so nothing is delivered while the tests run.
let app: EmulatedApp;
let emulator: QStashEmulator;
let api: Client;
let jobs: Switchyard;
let handlerUrl: string;

const resize = defineJob({
  name: "image.resize",
  schema: z.object({ n: z.number() }),
  retry: { maxAttempts: 4, backoff: { type: "exponential", delay: "1s", factor: 3, max: "10s" } },
  concurrency: 2,
  handler: () => {},
});

beforeAll(async () => {
  app = await startEmulatedApp({ jobs: [resize], namespace: "shop" });
  ({ emulator, api, jobs, handlerUrl } = app);
});

afterAll(() => app?.close());

describe("enqueue through publishJSON / batchJSON", () => {
  it("publishes the payload as JSON to ?job=<name>, with retries, flow control and labels, and no retry-delay expression", async () => {
    const { id } = await jobs.enqueue(resize, { n: 1 }, { delay: "1h", concurrencyKey: "tenant-a" });
    const message = await api.messages.get(id);
    expect(message).toMatchObject({
      url: `${handlerUrl}?job=image.resize`,
      body: '{"n":1}',
      maxRetries: 3,
      parallelism: 2,
      labels: ["shop", "shop.image.resize"],
    });
    expect(message.flowControlKey).toMatch(/^shop\.image\.resize\.[0-9a-f]{16}$/);
    // No Upstash-Retry-Delay: every retry delay is answered as Retry-After (attempt-response.ts).
    expect(message.retryDelayExpression).toBeUndefined();
    expect(message.header?.["Content-Type"]).toEqual(["application/json"]);
  });

  it("rounds a delay up to whole seconds, and sends a runAt on a whole second as Upstash-Not-Before", async () => {
    const delayed = await jobs.enqueue(resize, { n: 2 }, { delay: "3599500ms" });
    const message = await api.messages.get(delayed.id);
    expect((message.notBefore ?? 0) - message.createdAt).toBeGreaterThanOrEqual(3_600_000 - 50);
    expect((message.notBefore ?? 0) - message.createdAt).toBeLessThanOrEqual(3_600_000 + 50);

    const runAt = new Date(Math.ceil((Date.now() + 3_600_000) / 1_000) * 1_000);
    const exact = await jobs.enqueue(resize, { n: 3 }, { runAt });
    expect((await api.messages.get(exact.id)).notBefore).toBe(runAt.getTime());
  });

  it("turns an idempotency key into a deduplication id: the second enqueue returns the first id", async () => {
    const first = await jobs.enqueue(resize, { n: 4 }, { delay: "1h", idempotencyKey: "order:17" });
    const second = await jobs.enqueue(resize, { n: 5 }, { delay: "1h", idempotencyKey: "order:17" });
    expect(first.deduplicated).toBe(false);
    expect(second).toEqual({ id: first.id, deduplicated: true });
    expect(emulator.getMessage(first.id)?.deduplicationId).toMatch(/^shop\.image\.resize\.[0-9a-f]{32}$/);
  });

  it("sends enqueueMany in batches of 100 and returns the ids in payload order", async () => {
    const payloads = Array.from({ length: 150 }, (_, n) => ({ n: 1_000 + n }));
    const before = emulator.openMessages().length;
    const results = await jobs.enqueueMany(resize, payloads, { delay: "1h" });
    expect(results).toHaveLength(150);
    expect(emulator.openMessages().length - before).toBe(150);
    for (const index of [0, 99, 100, 149]) {
      expect((await api.messages.get(results[index]!.id)).body).toBe(JSON.stringify(payloads[index]));
    }
  });

  it("shows a delayed job through get, and cancels it once", async () => {
    const { id } = await jobs.enqueue(resize, { n: 6 }, { delay: "1h" });
    expect(await jobs.get(id)).toMatchObject({
      id,
      name: "image.resize",
      state: "delayed",
      payload: { n: 6 },
      attempts: 0,
      maxAttempts: 4,
    });
    expect(await jobs.cancel(id)).toBe(true);
    expect(await jobs.get(id)).toMatchObject({ state: "cancelled", payload: { n: 6 } });
    expect(await jobs.cancel(id)).toBe(false);
    expect(await jobs.retry(id)).toBe(false);
  });
});
