import { createSwitchyard, defineJob, type Switchyard, silentLogger } from "@switchyard/core";
import {
  answeringPlatform,
  closedPort,
  type FailingPlatform,
  resettingPlatform,
  scriptedPlatform,
} from "@switchyard/testkit";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { type QStashBackendOptions, qstash } from "../src/index.js";

// QStash unreachable or refusing, for every operation: one BackendUnavailableError (backend
// "qstash", the SDK's error as cause), and `stored` telling a publish that never left from one that
// may have arrived. The SDK logs each failed call with console.error; silenced here.

const job = defineJob({
  name: "mail.send",
  schema: z.object({ to: z.string() }),
  handler: () => {},
});

const opened: Switchyard[] = [];
const platforms: FailingPlatform[] = [];
afterEach(async () => {
  for (const client of opened.splice(0)) await client.close();
  for (const platform of platforms.splice(0)) await platform.close();
  vi.restoreAllMocks();
});

function client(baseUrl: string, retry: QStashBackendOptions["retry"] = false): Switchyard {
  vi.spyOn(console, "error").mockImplementation(() => {});
  const jobs = createSwitchyard({
    backend: qstash({
      token: "token",
      currentSigningKey: "sig_current",
      nextSigningKey: "sig_next",
      url: "https://app.example.com/api/jobs",
      baseUrl,
      retry,
    }),
    jobs: [job],
    logger: silentLogger,
  });
  opened.push(jobs);
  return jobs;
}

const unavailable = (stored: "no" | "unknown") =>
  expect.objectContaining({
    name: "BackendUnavailableError",
    code: "SWITCHYARD_BACKEND_UNAVAILABLE",
    backend: "qstash",
    stored,
    cause: expect.anything(),
  });

/** Every operation of the client that calls QStash. */
function operations(jobs: Switchyard): Record<string, () => Promise<unknown>> {
  return {
    enqueue: () => jobs.enqueue(job, { to: "a@example.com" }),
    enqueueMany: () => jobs.enqueueMany(job, [{ to: "a@example.com" }, { to: "b@example.com" }]),
    get: () => jobs.get("msg_1"),
    cancel: () => jobs.cancel("msg_1"),
    retry: () => jobs.retry("msg_1"),
    listFailed: () => jobs.listFailed(),
    counts: () => jobs.counts(),
    list: () => jobs.list({ state: "failed" }),
    retryFailed: () => jobs.retryFailed(),
    "schedules.upsert": () =>
      jobs.schedules.upsert(job, { id: "s", cron: "0 9 * * *", payload: { to: "a" } }),
    "schedules.remove": () => jobs.schedules.remove("s"),
    "schedules.list": () => jobs.schedules.list(),
  };
}

describe("qstash: an unreachable QStash", () => {
  it("fails every operation with BackendUnavailableError, stored: no, after the configured retries", async () => {
    const jobs = client(await closedPort(), { retries: 2, backoff: () => 1 });
    for (const [name, operation] of Object.entries(operations(jobs))) {
      const error = await operation().then(
        () => new Error(`${name} succeeded`),
        (caught: unknown) => caught,
      );
      expect(error, name).toEqual(unavailable("no"));
      expect((error as Error).message, name).toMatch(/could not be reached .*3 tries.*ECONNREFUSED/);
    }
  });

  it("says stored: unknown for a publish whose connection broke after the request left, and does not send it twice", async () => {
    const platform = await resettingPlatform();
    platforms.push(platform);
    const jobs = client(platform.url, { retries: 3, backoff: () => 1 });
    await expect(jobs.enqueue(job, { to: "a@example.com" })).rejects.toEqual(unavailable("unknown"));
    // A second try could have stored a second job: the publish had no deduplication id.
    expect(platform.received).toBe(1);
  });

  it("tries a publish with an idempotency key again (QStash deduplicates it), and still says stored: unknown when the last try was refused", async () => {
    const platform = await resettingPlatform({ closeAfter: 1 });
    platforms.push(platform);
    const jobs = client(platform.url, { retries: 2, backoff: () => 1 });
    const error = await jobs
      .enqueue(job, { to: "a@example.com" }, { idempotencyKey: "welcome:a" })
      .catch((caught: unknown) => caught);
    expect(platform.received).toBe(1);
    expect(error).toEqual(unavailable("unknown"));
    expect((error as Error).message).toMatch(/3 tries.*ECONNREFUSED/);
  });

  it("says stored: unknown when a later batch of an enqueueMany fails after the first was stored", async () => {
    const stored = Array.from({ length: 100 }, (_, n) => ({ messageId: `msg_${n}` }));
    const platform = await scriptedPlatform([{ json: stored }, "reset"]);
    platforms.push(platform);
    const payloads = Array.from({ length: 101 }, (_, n) => ({ to: `${n}@example.com` }));
    const error = await client(platform.url)
      .enqueueMany(job, payloads)
      .catch((caught: unknown) => caught);
    expect(error).toEqual(unavailable("unknown"));
    expect((error as Error).message).toContain("the first 100 of 101 jobs were stored");
  });

  it("says stored: no for a read whose connection broke: it writes nothing", async () => {
    const platform = await resettingPlatform();
    platforms.push(platform);
    const jobs = client(platform.url);
    await expect(jobs.get("msg_1")).rejects.toEqual(unavailable("no"));
  });
});

describe("qstash: QStash answering with an error", () => {
  it("turns a 503 into BackendUnavailableError: stored unknown for a publish (its body was sent), no for a read", async () => {
    const platform = await answeringPlatform(503, "service unavailable");
    platforms.push(platform);
    const jobs = client(platform.url, { retries: 3, backoff: () => 1 });
    const error = await jobs.enqueue(job, { to: "a@example.com" }).catch((caught: unknown) => caught);
    expect(error).toEqual(unavailable("unknown"));
    expect((error as Error).message).toContain("QStash answered 503 to publish: service unavailable");
    await expect(jobs.listFailed()).rejects.toEqual(unavailable("no"));
    // An HTTP answer is not retried: it is QStash's decision.
    expect(platform.received).toBe(2);
  });

  it("turns a 401 into a ConfigError naming QSTASH_TOKEN, with QStash's message", async () => {
    const platform = await answeringPlatform(401, '{"error":"invalid token"}');
    platforms.push(platform);
    const jobs = client(platform.url);
    const error = await jobs.enqueue(job, { to: "a@example.com" }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: "ConfigError", code: "SWITCHYARD_CONFIG" });
    expect((error as Error).message).toContain("invalid token");
    expect((error as Error).message).toContain("QSTASH_TOKEN");
  });

  it("turns any other refusal into a QStashApiError with the status and QStash's message", async () => {
    const platform = await answeringPlatform(400, '{"error":"invalid destination"}');
    platforms.push(platform);
    const jobs = client(platform.url);
    await expect(jobs.enqueue(job, { to: "a@example.com" })).rejects.toMatchObject({
      name: "QStashApiError",
      code: "SWITCHYARD_QSTASH_API",
      status: 400,
      message: expect.stringContaining("invalid destination"),
    });
  });
});
