import { Client, QstashError, Receiver, SignatureError } from "@upstash/qstash";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  compileRetryDelay,
  defaultBackoffMs,
  type QStashEmulator,
  retryAfterMs,
  startQStashEmulator,
} from "../src/index.js";
import { TestReceiver } from "./qstash-test-receiver.js";

// 1 emulator second = 10 real ms: the 12 s first default retry takes ~120 ms.
const TIME_SCALE = 0.01;

let emulator: QStashEmulator;
let receiver: TestReceiver;
let client: Client;

beforeAll(async () => {
  emulator = await startQStashEmulator({ timeScale: TIME_SCALE });
  receiver = await TestReceiver.start({
    currentSigningKey: emulator.currentSigningKey,
    nextSigningKey: emulator.nextSigningKey,
  });
  client = new Client({ baseUrl: emulator.url, token: emulator.token });
});

afterAll(async () => {
  await emulator?.close();
  await receiver?.close();
});

/** RETRY log entries of a message, oldest first, read back through the SDK's `logs()`. */
async function retryGaps(messageId: string): Promise<number[]> {
  const { logs } = await client.logs({ messageIds: [messageId] });
  return logs
    .filter((log) => log.state === "RETRY")
    .reverse()
    .map((log) => (log.nextDeliveryTime as number) - log.time);
}

describe("QStash emulator: delivery and signatures", () => {
  it("delivers publishJSON to a raw destination URL, signed for the real Receiver", async () => {
    const url = receiver.url("/basic?x=1&y=two");
    const { messageId } = await client.publishJSON({
      url,
      body: { hello: "world" },
      headers: { "X-Custom": "abc" },
    });
    await emulator.waitForIdle();

    const [request] = receiver.to("/basic");
    expect(receiver.to("/basic")).toHaveLength(1);
    expect(request?.verifyError).toBeUndefined();
    expect(request?.verified).toBe(true);
    expect(request?.url).toBe(url);
    expect(JSON.parse(request?.body ?? "")).toEqual({ hello: "world" });
    expect(request?.headers).toMatchObject({
      "x-custom": "abc",
      "content-type": "application/json",
      "user-agent": "Upstash-QStash",
      "upstash-message-id": messageId,
      "upstash-retried": "0",
      "upstash-max-retries": "3",
    });
    expect(request?.headers["upstash-telemetry-sdk"]).toBeUndefined();
    expect(emulator.getMessage(messageId)?.state).toBe("DELIVERED");
  });

  it("produces signatures that fail with wrong keys, another URL or a changed body", async () => {
    const { messageId } = await client.publish({ url: receiver.url("/sig"), body: "payload" });
    const delivery = await emulator.waitForDelivery((d) => d.messageId === messageId);
    const signature = delivery.headers["upstash-signature"] as string;
    const url = receiver.url("/sig");
    const right = new Receiver({
      currentSigningKey: emulator.currentSigningKey,
      nextSigningKey: emulator.nextSigningKey,
    });
    const wrong = new Receiver({ currentSigningKey: "sig_wrong_current", nextSigningKey: "sig_wrong_next" });

    await expect(right.verify({ signature, body: "payload", url })).resolves.toBe(true);
    await expect(wrong.verify({ signature, body: "payload", url })).rejects.toBeInstanceOf(SignatureError);
    await expect(right.verify({ signature, body: "payload!", url })).rejects.toThrow(/body hash/);
    await expect(right.verify({ signature, body: "payload", url: `${url}/other` })).rejects.toThrow(
      /subject/,
    );
    // A receiver still holding the old pair after a rotation verifies with its "next" key.
    const before = { currentSigningKey: emulator.currentSigningKey, nextSigningKey: emulator.nextSigningKey };
    const rotated = await startQStashEmulator({ ...before, timeScale: TIME_SCALE });
    try {
      rotated.rotateSigningKeys();
      expect(rotated.currentSigningKey).toBe(before.nextSigningKey);
      const rotatedClient = new Client({ baseUrl: rotated.url, token: rotated.token });
      await rotatedClient.publish({ url: receiver.url("/sig-rotated"), body: "after" });
      await rotated.waitForIdle();
      expect(receiver.to("/sig-rotated")[0]?.verified).toBe(true);
    } finally {
      await rotated.close();
    }
  });

  it("rejects a wrong token with 401", async () => {
    const intruder = new Client({ baseUrl: emulator.url, token: "not-the-token", retry: false });
    const error = await intruder
      .publishJSON({ url: receiver.url("/never"), body: {} })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QstashError);
    expect((error as QstashError).status).toBe(401);
    expect(receiver.to("/never")).toHaveLength(0);
  });
});

describe("QStash emulator: retries and the DLQ", () => {
  it("makes 1 + retries attempts, counting them in Upstash-Retried, then dead-letters", async () => {
    receiver.respond("/always-500", () => ({ status: 500, body: "boom" }));
    const { messageId } = await client.publishJSON({
      url: receiver.url("/always-500"),
      body: { n: 1 },
      retries: 2,
      retryDelay: "10",
    });
    await emulator.waitForIdle();

    const attempts = receiver.to("/always-500");
    expect(attempts.map((r) => r.headers["upstash-retried"])).toEqual(["0", "1", "2"]);
    expect(new Set(attempts.map((r) => r.headers["upstash-message-id"]))).toEqual(new Set([messageId]));
    const { messages } = await client.dlq.listMessages({ filter: { url: receiver.url("/always-500") } });
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      messageId,
      responseStatus: 500,
      responseBody: "boom",
      maxRetries: 2,
    });
    await expect(client.messages.get(messageId)).rejects.toMatchObject({ status: 404 });
  });

  it("waits the documented default backoff, min(86400, e^(2.5n)) s, before the first retry", async () => {
    receiver.respond("/default-backoff", (_, index) => ({ status: index === 0 ? 503 : 200 }));
    const { messageId } = await client.publishJSON({
      url: receiver.url("/default-backoff"),
      body: {},
      retries: 1,
    });
    await emulator.waitForIdle();

    const [first, second] = receiver.to("/default-backoff");
    const realGap = (second?.receivedAt ?? 0) - (first?.receivedAt ?? 0);
    expect(realGap).toBeGreaterThanOrEqual(12_182 * TIME_SCALE - 20);
    expect(realGap).toBeLessThan(1_000);
    const [gap] = await retryGaps(messageId);
    // e^2.5 s = 12 182.49 ms, exact on the emulator clock.
    expect(gap).toBeGreaterThanOrEqual(12_182);
    expect(gap).toBeLessThanOrEqual(12_183);
  });

  it("evaluates Upstash-Retry-Delay with `retried` = 0 on the first retry", async () => {
    receiver.respond("/expression", () => ({ status: 500 }));
    const { messageId } = await client.publishJSON({
      url: receiver.url("/expression"),
      body: {},
      retries: 3,
      retryDelay: "1000 * pow(2, retried)",
    });
    await emulator.waitForIdle();

    expect(receiver.to("/expression")).toHaveLength(4);
    const gaps = await retryGaps(messageId);
    expect(gaps).toHaveLength(3);
    expect(gaps).toEqual([1000, 2000, 4000]);
  });

  it("sends 489 + Upstash-NonRetryable-Error: true straight to the DLQ, but retries a bare 489", async () => {
    receiver.respond("/non-retryable", () => ({
      status: 489,
      headers: { "Upstash-NonRetryable-Error": "true" },
    }));
    receiver.respond("/bare-489", () => ({ status: 489 }));
    const stop = await client.publishJSON({ url: receiver.url("/non-retryable"), body: {}, retries: 3 });
    await client.publishJSON({ url: receiver.url("/bare-489"), body: {}, retries: 1, retryDelay: "0" });
    await emulator.waitForIdle();

    expect(receiver.to("/non-retryable")).toHaveLength(1);
    expect(receiver.to("/bare-489")).toHaveLength(2);
    const { messages } = await client.dlq.listMessages({ filter: { responseStatus: 489 } });
    expect(messages.map((m) => m.messageId)).toContain(stop.messageId);
    expect(emulator.getMessage(stop.messageId)).toMatchObject({ state: "FAILED", retried: 0 });
  });

  it("honours Retry-After in seconds and as a Go duration instead of the default backoff", async () => {
    receiver.respond("/retry-after", (_, index) => ({
      status: index === 0 ? 503 : 200,
      headers: { "Retry-After": "30" },
    }));
    receiver.respond("/retry-after-go", () => ({ status: 429, headers: { "Retry-After": "1m5s" } }));
    const seconds = await client.publishJSON({ url: receiver.url("/retry-after"), body: {}, retries: 1 });
    const goDuration = await client.publishJSON({
      url: receiver.url("/retry-after-go"),
      body: {},
      retries: 1,
    });
    await emulator.waitForDelivery((d) => d.messageId === goDuration.messageId);
    await emulator.waitForDelivery((d) => d.messageId === seconds.messageId && d.retried === 1);

    const [first, second] = receiver.to("/retry-after");
    expect((second?.receivedAt ?? 0) - (first?.receivedAt ?? 0)).toBeGreaterThanOrEqual(
      30_000 * TIME_SCALE - 20,
    );
    expect(await retryGaps(seconds.messageId)).toEqual([30_000]);
    expect(await retryGaps(goDuration.messageId)).toEqual([65_000]);
    await expect(client.messages.cancel(goDuration.messageId)).resolves.toEqual({ cancelled: 1 });
    await emulator.waitForIdle();
    expect(receiver.to("/retry-after-go")).toHaveLength(1);
  });

  it("lets Upstash-Retry-Delay win over Retry-After unless retryAfterOverridesRetryDelay says otherwise", async () => {
    receiver.respond("/both", () => ({ status: 503, headers: { "Retry-After": "30" } }));
    const publish = (target: Client) =>
      target.publishJSON({ url: receiver.url("/both"), body: {}, retries: 1, retryDelay: "2000" });
    const literal = await publish(client);
    const overriding = await startQStashEmulator({
      timeScale: TIME_SCALE,
      retryAfterOverridesRetryDelay: true,
    });
    try {
      const other = new Client({ baseUrl: overriding.url, token: overriding.token });
      const overridden = await publish(other);
      await emulator.waitForDelivery((d) => d.messageId === literal.messageId && d.retried === 1);
      await overriding.waitForDelivery((d) => d.messageId === overridden.messageId && d.retried === 1);
      expect(await retryGaps(literal.messageId)).toEqual([2_000]);
      const { logs } = await other.logs({ messageIds: [overridden.messageId] });
      const retry = logs.find((log) => log.state === "RETRY");
      expect((retry?.nextDeliveryTime as number) - (retry?.time as number)).toBe(30_000);
    } finally {
      await overriding.close();
    }
  });

  it("times out an attempt after Upstash-Timeout (real time, not scaled)", async () => {
    receiver.respond("/slow", () => ({ delayMs: 1_300 }));
    const { messageId } = await client.publishJSON({
      url: receiver.url("/slow"),
      body: {},
      timeout: 1,
      retries: 0,
    });
    await emulator.waitForIdle();

    const delivery = emulator.deliveries.find((d) => d.messageId === messageId);
    expect(delivery).toMatchObject({ error: "timeout", outcome: "failed" });
    expect((delivery?.finishedAt ?? 0) - (delivery?.startedAt ?? 0)).toBeGreaterThanOrEqual(990);
    expect(emulator.getMessage(messageId)?.dlqId).toBeDefined();
  });

  it("publishes signed callbacks after each attempt and a failure callback with the dlqId", async () => {
    receiver.respond("/with-callbacks", () => ({ status: 500, body: "nope" }));
    const { messageId } = await client.publishJSON({
      url: receiver.url("/with-callbacks"),
      body: { job: 1 },
      retries: 1,
      retryDelay: "0",
      callback: receiver.url("/callback"),
      failureCallback: receiver.url("/failure-callback"),
    });
    await emulator.waitForIdle();

    const callbacks = receiver
      .to("/callback")
      .map((r) => ({ verified: r.verified, body: JSON.parse(r.body) }));
    expect(callbacks.map((c) => c.verified)).toEqual([true, true]);
    expect(callbacks.map((c) => c.body.retried).sort()).toEqual([0, 1]);
    expect(callbacks[0]?.body).toMatchObject({ status: 500, maxRetries: 1, sourceMessageId: messageId });
    expect(Buffer.from(callbacks[0]?.body.body, "base64").toString()).toBe("nope");
    expect(Buffer.from(callbacks[0]?.body.sourceBody, "base64").toString()).toBe('{"job":1}');
    const failure = receiver.to("/failure-callback");
    expect(failure).toHaveLength(1);
    expect(JSON.parse(failure[0]?.body ?? "{}")).toMatchObject({
      sourceMessageId: messageId,
      retried: 1,
      dlqId: emulator.getMessage(messageId)?.dlqId,
    });
  });

  it("retries a DLQ message as a new message and deletes entries", async () => {
    let healthy = false;
    receiver.respond("/dlq-retry", () => ({ status: healthy ? 200 : 500 }));
    const first = await client.publishJSON({ url: receiver.url("/dlq-retry"), body: { a: 1 }, retries: 0 });
    const second = await client.publishJSON({ url: receiver.url("/dlq-retry"), body: { a: 2 }, retries: 0 });
    await emulator.waitForIdle();
    const { messages } = await client.dlq.listMessages({ filter: { url: receiver.url("/dlq-retry") } });
    const byId = new Map(messages.map((m) => [m.messageId, m.dlqId]));
    expect(byId.size).toBe(2);
    const filter = { url: receiver.url("/dlq-retry") };
    const page1 = await client.dlq.listMessages({ filter, count: 1 });
    expect(page1.messages).toHaveLength(1);
    expect(page1.cursor).toBeTruthy();
    const page2 = await client.dlq.listMessages({ filter, count: 1, cursor: page1.cursor as string });
    expect(page2.cursor).toBeUndefined();
    expect([...page1.messages, ...page2.messages].map((m) => m.messageId).sort()).toEqual(
      [...byId.keys()].sort(),
    );

    healthy = true;
    const retried = await client.dlq.retry(byId.get(first.messageId) as string);
    expect(retried.responses).toHaveLength(1);
    const newId = retried.responses[0]?.messageId;
    expect(newId).not.toBe(first.messageId);
    await emulator.waitForIdle();
    expect(emulator.getMessage(newId as string)?.state).toBe("DELIVERED");
    expect(receiver.to("/dlq-retry").at(-1)?.body).toBe('{"a":1}');

    await client.dlq.delete(byId.get(second.messageId) as string);
    const after = await client.dlq.listMessages({ filter: { url: receiver.url("/dlq-retry") } });
    expect(after.messages).toHaveLength(0);
  });
});

describe("QStash emulator: publish options", () => {
  it("deduplicates by Upstash-Deduplication-Id and by content", async () => {
    const path = "/dedup";
    const byId1 = await client.publishJSON({
      url: receiver.url(path),
      body: { v: 1 },
      deduplicationId: "dedup-1",
    });
    const byId2 = await client.publishJSON({
      url: receiver.url(path),
      body: { v: 2 },
      deduplicationId: "dedup-1",
    });
    const content1 = await client.publishJSON({
      url: receiver.url(path),
      body: { v: 3 },
      contentBasedDeduplication: true,
    });
    const content2 = await client.publishJSON({
      url: receiver.url(path),
      body: { v: 3 },
      contentBasedDeduplication: true,
    });
    const other = await client.publishJSON({
      url: receiver.url(path),
      body: { v: 4 },
      contentBasedDeduplication: true,
    });
    await emulator.waitForIdle();

    expect(byId2).toEqual({ messageId: byId1.messageId, deduplicated: true });
    expect(content2).toEqual({ messageId: content1.messageId, deduplicated: true });
    expect(other.messageId).not.toBe(content1.messageId);
    expect(
      receiver
        .to(path)
        .map((r) => JSON.parse(r.body).v)
        .sort(),
    ).toEqual([1, 3, 4]);
  });

  it("holds a message for Upstash-Delay and until Upstash-Not-Before", async () => {
    const publishedAt = Date.now();
    const delayed = await client.publishJSON({ url: receiver.url("/delay"), body: {}, delay: 60 });
    const pending = await client.messages.get(delayed.messageId);
    // Both stamps come from the emulator's scaled clock, on which one real millisecond between the
    // publish's steps reads as 1 / TIME_SCALE ms: allow a few real milliseconds.
    expect((pending.notBefore as number) - pending.createdAt).toBeGreaterThanOrEqual(60_000 - 5 / TIME_SCALE);
    const notBefore = Math.floor(Date.now() / 1000) + 30;
    const absolute = await client.publishJSON({ url: receiver.url("/not-before"), body: {}, notBefore });
    await emulator.waitForIdle();

    expect((receiver.to("/delay")[0]?.receivedAt ?? 0) - publishedAt).toBeGreaterThanOrEqual(
      60_000 * TIME_SCALE - 20,
    );
    const notBeforeWait = (receiver.to("/not-before")[0]?.receivedAt ?? 0) - publishedAt;
    expect(notBeforeWait).toBeGreaterThanOrEqual((notBefore * 1000 - publishedAt) * TIME_SCALE - 20);
    expect(emulator.getMessage(absolute.messageId)?.state).toBe("DELIVERED");
  });

  it("refuses a message over the plan's size (413) or delay (400), in a batch too, and stores none of it", async () => {
    const url = receiver.url("/limits");
    const refused = async (publish: () => Promise<unknown>): Promise<number | undefined> =>
      publish().then(
        () => undefined,
        (error: unknown) => (error instanceof QstashError ? error.status : -1),
      );
    const megabyte = "x".repeat(1_048_576); // the free plan's 1 MB, plus the JSON quotes
    expect(await refused(() => client.publishJSON({ url, body: megabyte }))).toBe(413);
    expect(await refused(() => client.publishJSON({ url, body: "x".repeat(1_000_000) }))).toBeUndefined();
    expect(await refused(() => client.publishJSON({ url, body: {}, delay: 7 * 86_400 + 1 }))).toBe(400);
    const eightDays = Math.floor(Date.now() / 1000) + 8 * 86_400;
    expect(await refused(() => client.publishJSON({ url, body: {}, notBefore: eightDays }))).toBe(400);
    const batch = [
      { url, body: "small" },
      { url, body: `${megabyte}xx` },
    ];
    expect(await refused(() => client.batch(batch))).toBe(413);
    const { logs } = await client.logs({ filter: { url } });
    expect(logs.filter((log) => log.state === "CREATED")).toHaveLength(1); // the one accepted above
    await emulator.waitForIdle();
  });

  it("gets a pending message and cancels it: CANCEL_REQUESTED now, CANCELLED at its delivery time", async () => {
    const { messageId } = await client.publishJSON({
      url: receiver.url("/cancel"),
      body: { x: 1 },
      delay: "30s",
      label: "to-cancel",
    });
    const message = await client.messages.get(messageId);
    expect(message).toMatchObject({
      messageId,
      url: receiver.url("/cancel"),
      maxRetries: 3,
      labels: ["to-cancel"],
    });
    expect(message.body).toBe('{"x":1}');

    await expect(client.messages.cancel(messageId)).resolves.toEqual({ cancelled: 1 });
    const requested = await client.logs({ messageIds: [messageId] });
    expect(requested.logs.map((log) => log.state)).toEqual(["CANCEL_REQUESTED", "CREATED"]);
    await expect(client.messages.get(messageId)).resolves.toMatchObject({ messageId });
    await emulator.waitForIdle();
    expect(receiver.to("/cancel")).toHaveLength(0);
    await expect(client.messages.get(messageId)).rejects.toMatchObject({ status: 404 });
    const { logs } = await client.logs({ messageIds: [messageId] });
    expect(logs.map((log) => log.state)).toEqual(["CANCELLED", "CANCEL_REQUESTED", "CREATED"]);
    // At its delivery time, 30 s after it was created (a real timer at 1/100 scale is ±1 ms: ±100 ms here).
    expect((logs[0]?.time ?? 0) - (logs[2]?.time ?? 0)).toBeGreaterThanOrEqual(30_000 - 200);
  });

  it("holds the deliveries to a URL prefix while asked (test control): due messages wait undelivered", async () => {
    const prefix = receiver.url("/held");
    emulator.holdDeliveries(prefix);
    const kept = await client.publishJSON({ url: receiver.url("/held/a"), body: {} });
    const dropped = await client.publishJSON({ url: receiver.url("/held/b"), body: {} });
    await emulator.waitForDelivery((d) => d.messageId === kept.messageId, { timeoutMs: 100 }).catch(() => {});
    expect(receiver.to("/held/a")).toHaveLength(0);
    expect(emulator.getMessage(kept.messageId)?.state).toBe("CREATED");
    await client.messages.cancel(dropped.messageId);
    expect(emulator.getMessage(dropped.messageId)?.state).toBe("CANCELLED");
    emulator.releaseDeliveries(prefix);
    await emulator.waitForDelivery((d) => d.messageId === kept.messageId);
    expect(receiver.to("/held/a")).toHaveLength(1);
    expect(receiver.to("/held/b")).toHaveLength(0);
  });

  it("serves logs in pages of at most 1,000 entries, filtered by label and state, with a cursor", async () => {
    const own = await startQStashEmulator({ timeScale: TIME_SCALE });
    try {
      const api = new Client({ baseUrl: own.url, token: own.token });
      for (let batch = 0; batch < 11; batch++) {
        await api.batchJSON(
          Array.from({ length: 100 }, (_, n) => ({
            url: receiver.url("/paged"),
            body: { n: batch * 100 + n },
            delay: "1d",
            label: "paged",
          })),
        );
      }
      const filter = { label: "paged", state: "CREATED" as const };
      const first = await api.logs({ filter, count: 5_000 });
      expect(first.logs).toHaveLength(1_000);
      expect(first.cursor).toBeDefined();
      const second = await api.logs({ filter, count: 5_000, cursor: first.cursor! });
      expect(second.logs).toHaveLength(100);
      expect(second.cursor).toBeUndefined();
      expect((await api.logs({ filter: { label: "paged", state: "DELIVERED" } })).logs).toEqual([]);
    } finally {
      await own.close();
    }
  });

  it("keeps the message's headers and base64 body on its log entries, after it is delivered", async () => {
    const { messageId } = await client.publishJSON({
      url: receiver.url("/logged"),
      body: { kept: "é" },
      headers: { "X-Trace": "t1" },
    });
    await emulator.waitForIdle();
    await expect(client.messages.get(messageId)).rejects.toMatchObject({ status: 404 });
    const { logs } = await client.logs({ messageIds: [messageId] });
    expect(logs.map((log) => log.state)).toEqual(["DELIVERED", "ACTIVE", "CREATED"]);
    for (const log of logs) {
      expect(JSON.parse(Buffer.from(log.body ?? "", "base64").toString("utf8"))).toEqual({ kept: "é" });
      expect(log.header).toMatchObject({ "Content-Type": ["application/json"], "X-Trace": ["t1"] });
    }
  });

  it("never exceeds a flow-control key's parallelism", async () => {
    receiver.respond("/flow", () => ({ delayMs: 60 }));
    const results = await client.batchJSON(
      Array.from({ length: 8 }, (_, i) => ({
        url: receiver.url("/flow"),
        body: { i },
        flowControl: { key: "flow-test", parallelism: 2 },
      })),
    );
    expect(new Set(results.map((r) => (r as { messageId: string }).messageId)).size).toBe(8);
    await emulator.waitForIdle();

    expect(receiver.to("/flow")).toHaveLength(8);
    expect(receiver.maxConcurrency("/flow")).toBe(2);
    expect(receiver.to("/flow")[0]?.headers["upstash-flow-control-key"]).toBe("flow-test");
  });

  it("starts at most `rate` deliveries of a flow-control key per period", async () => {
    // rate 2 per 10 s of emulator time = per 100 real ms: 6 messages need three windows.
    const results = await client.batchJSON(
      Array.from({ length: 6 }, (_, i) => ({
        url: receiver.url("/rate"),
        body: { i },
        flowControl: { key: "rate-test", rate: 2, period: "10s" },
      })),
    );
    await emulator.waitForIdle();

    const ids = new Set(results.map((r) => (r as { messageId: string }).messageId));
    const starts = emulator.deliveries
      .filter((d) => ids.has(d.messageId))
      .map((d) => d.startedAt)
      .sort((a, b) => a - b);
    expect(starts).toHaveLength(6);
    for (let i = 2; i < starts.length; i += 1) {
      expect((starts[i] as number) - (starts[i - 2] as number)).toBeGreaterThanOrEqual(
        10_000 * TIME_SCALE - 20,
      );
    }
  });

  it("delivers a parallelism-1 queue one message at a time, in order", async () => {
    receiver.respond("/queue", () => ({ delayMs: 20 }));
    const queue = client.queue({ queueName: "ordered" });
    await queue.upsert({ parallelism: 1 });
    for (let i = 0; i < 4; i += 1) await queue.enqueueJSON({ url: receiver.url("/queue"), body: { i } });
    expect(await queue.get()).toMatchObject({ name: "ordered", parallelism: 1, paused: false });
    await emulator.waitForIdle();

    expect(receiver.to("/queue").map((r) => JSON.parse(r.body).i)).toEqual([0, 1, 2, 3]);
    expect(receiver.maxConcurrency("/queue")).toBe(1);
  });
});

describe("QStash emulator: schedules", () => {
  it("fires a CRON_TZ schedule at 09:00 New York time, not UTC or Tokyo", async () => {
    // 13:59 UTC on 2025-01-15 is 08:59 in New York (UTC-5 in winter): the NY tick is 60 s away.
    const clocked = await startQStashEmulator({
      timeScale: TIME_SCALE,
      startTime: Date.parse("2025-01-15T13:59:00Z"),
      currentSigningKey: emulator.currentSigningKey,
      nextSigningKey: emulator.nextSigningKey,
    });
    try {
      const scheduler = new Client({ baseUrl: clocked.url, token: clocked.token });
      const destination = receiver.url("/cron");
      const create = (cron: string) =>
        scheduler.schedules.create({ destination, cron, body: JSON.stringify({ cron }) });
      const { scheduleId: newYork } = await create("CRON_TZ=America/New_York 0 9 * * *");
      const { scheduleId: utc } = await create("0 9 * * *");
      const { scheduleId: tokyo } = await create("CRON_TZ=Asia/Tokyo 0 9 * * *");

      const delivery = await clocked.waitForDelivery((d) => d.scheduleId === newYork, { timeoutMs: 3_000 });
      expect(delivery.headers["upstash-schedule-id"]).toBe(newYork);
      expect(clocked.now()).toBeGreaterThanOrEqual(Date.parse("2025-01-15T14:00:00Z"));
      await clocked.waitForIdle();
      const fired = receiver.to("/cron");
      expect(fired.map((r) => r.headers["upstash-schedule-id"])).toEqual([newYork]);
      expect(fired[0]?.verified).toBe(true);

      const ny = await scheduler.schedules.get(newYork);
      expect(ny).toMatchObject({
        cron: "CRON_TZ=America/New_York 0 9 * * *",
        lastScheduleTime: Date.parse("2025-01-15T14:00:00Z"),
        nextScheduleTime: Date.parse("2025-01-16T14:00:00Z"),
        isPaused: false,
      });
      expect(Object.values(ny.lastScheduleStates ?? {})).toEqual(["SUCCESS"]);
      expect((await scheduler.schedules.get(utc)).nextScheduleTime).toBe(Date.parse("2025-01-16T09:00:00Z"));
      expect((await scheduler.schedules.get(tokyo)).nextScheduleTime).toBe(
        Date.parse("2025-01-16T00:00:00Z"),
      );

      await scheduler.schedules.pause({ schedule: utc });
      expect((await scheduler.schedules.get(utc)).isPaused).toBe(true);
      await scheduler.schedules.delete(tokyo);
      expect((await scheduler.schedules.list()).map((s) => s.scheduleId).sort()).toEqual(
        [newYork, utc].sort(),
      );
    } finally {
      await clocked.close();
    }
  });

  it("rejects a malformed cron expression with 400", async () => {
    const error = await client.schedules
      .create({ destination: receiver.url("/bad-cron"), cron: "61 * * * *" })
      .catch((e: unknown) => e);
    expect((error as QstashError).status).toBe(400);
  });
});

describe("QStash emulator: rule functions", () => {
  it("evaluates retry-delay expressions safely", () => {
    expect(compileRetryDelay("1 + 2 * 3 - 4 / 2")(0)).toBe(5);
    expect(compileRetryDelay("max(1000, pow(2, retried) * 100)")(5)).toBe(3200);
    expect(compileRetryDelay("round(2.5) + round(-2.5) + floor(-0.5) + ceil(0.2) + abs(-3)")(0)).toBe(3);
    expect(compileRetryDelay("min(sqrt(16), exp(0)) * -(retried)")(3)).toBe(-3);
    for (const bad of ["process.exit(1)", "constructor", "pow(2)", "1 +", "2 ** 3", "retried; 1", ""]) {
      expect(() => compileRetryDelay(bad), bad).toThrow(/invalid retry delay expression/);
    }
  });

  it("computes the documented default backoff table and reads Retry-After forms", () => {
    const seconds = [0, 1, 2, 3, 4].map((n) => Math.round(defaultBackoffMs(n) / 1000));
    expect(seconds).toEqual([12, 148, 1808, 22026, 86400]); // 12s, 2m28s, 30m8s, 6h7m6s, 24h cap
    const now = Date.parse("2024-06-27T12:16:00Z");
    expect(retryAfterMs({ "retry-after": "0" }, now)).toBe(0);
    expect(retryAfterMs({ "retry-after": "6m5s" }, now)).toBe(365_000);
    expect(retryAfterMs({ "retry-after": "Thu, 27 Jun 2024 12:16:24 GMT" }, now)).toBe(24_000);
    expect(retryAfterMs({ "x-ratelimit-reset": "250ms" }, now)).toBe(250);
    expect(retryAfterMs({ "retry-after": "90000" }, now)).toBeUndefined(); // > 1 day: default backoff
  });
});
