import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createSwitchyard, defineJob, type Switchyard, silentLogger } from "@switchyard/core";
import {
  answeringPlatform,
  closedPort,
  type FailingPlatform,
  resettingPlatform,
  scriptedPlatform,
} from "@switchyard/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { type TriggerBackendOptions, trigger } from "../src/index.js";

// Trigger.dev unreachable or refusing, for every operation: one BackendUnavailableError (backend
// "trigger", the SDK's error as cause), and `stored` telling a trigger that never left from one that
// may have arrived. Retries are shortened to 1 ms (the SDK's default waits about 9 s in all).

const job = defineJob({ name: "mail.send", schema: z.object({ to: z.string() }), handler: () => {} });
const quickRetry = { maxAttempts: 3, minDelay: 1, maxDelay: 1 };

const opened: Switchyard[] = [];
const platforms: FailingPlatform[] = [];
afterEach(async () => {
  for (const client of opened.splice(0)) await client.close();
  for (const platform of platforms.splice(0)) await platform.close();
});

function client(
  baseURL: string,
  requestRetry: TriggerBackendOptions["requestRetry"] = quickRetry,
): Switchyard {
  const jobs = createSwitchyard({
    backend: trigger({ secretKey: "tr_dev_test", baseURL, requestRetry }),
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
    backend: "trigger",
    stored,
    cause: expect.anything(),
  });

/** Every operation of the client that calls Trigger.dev. */
function operations(jobs: Switchyard): Record<string, () => Promise<unknown>> {
  return {
    enqueue: () => jobs.enqueue(job, { to: "a@example.com" }),
    "enqueue (keyed)": () => jobs.enqueue(job, { to: "a@example.com" }, { idempotencyKey: "welcome:a" }),
    enqueueMany: () => jobs.enqueueMany(job, [{ to: "a@example.com" }, { to: "b@example.com" }]),
    get: () => jobs.get("run_1"),
    cancel: () => jobs.cancel("run_1"),
    retry: () => jobs.retry("run_1"),
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

async function failure(operation: () => Promise<unknown>): Promise<unknown> {
  return operation().then(
    () => new Error("it succeeded"),
    (caught: unknown) => caught,
  );
}

describe("trigger: an unreachable Trigger.dev", () => {
  it("fails every operation with BackendUnavailableError, stored: no, after the configured tries", async () => {
    const jobs = client(await closedPort());
    for (const [name, operation] of Object.entries(operations(jobs))) {
      const error = await failure(operation);
      expect(error, name).toEqual(unavailable("no"));
      expect((error as Error).message, name).toMatch(/could not be reached.*ECONNREFUSED/);
    }
  });

  it("says stored: unknown for a trigger whose connection broke after the request left, and does not send it twice", async () => {
    const platform = await resettingPlatform();
    platforms.push(platform);
    const error = await failure(() => client(platform.url).enqueue(job, { to: "a@example.com" }));
    expect(error).toEqual(unavailable("unknown"));
    // A second try could have started a second run: the trigger had no idempotency key.
    expect(platform.received).toBe(1);
  });

  it("tries a keyed trigger again (Trigger.dev starts one run per key), and still says stored: unknown when the last try was refused", async () => {
    const platform = await resettingPlatform({ closeAfter: 1 });
    platforms.push(platform);
    const error = await failure(() =>
      client(platform.url).enqueue(job, { to: "a@example.com" }, { idempotencyKey: "welcome:a" }),
    );
    expect(platform.received).toBe(1);
    expect(error).toEqual(unavailable("unknown"));
    expect((error as Error).message).toMatch(/3 tries.*ECONNREFUSED/);
  });

  it("says stored: no for a batch that broke off while being created: no run exists before its items are streamed", async () => {
    const platform = await resettingPlatform();
    platforms.push(platform);
    const error = await failure(() => client(platform.url).enqueueMany(job, [{ to: "a" }, { to: "b" }]));
    expect(error).toEqual(unavailable("no"));
    // The SDK tried creating it 3 times (requestRetry.maxAttempts).
    expect(platform.received).toBe(3);
  });

  it("says stored: unknown for a batch whose items broke off while being streamed", async () => {
    const paths: string[] = [];
    const server = createServer((req, res) => {
      paths.push(`${req.method} ${req.url}`);
      if (req.url === "/api/v3/batches") {
        req.resume();
        req.on("end", () => {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify({ id: "batch_1", runCount: 2, isCached: false }));
        });
      } else {
        req.once("data", () => req.socket.destroy());
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    platforms.push({
      url: "",
      received: 0,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const error = await failure(() => client(url).enqueueMany(job, [{ to: "a" }, { to: "b" }]));
    expect(paths[0]).toBe("POST /api/v3/batches");
    expect(paths.at(-1)).toBe("POST /api/v3/batches/batch_1/items");
    expect(error).toEqual(unavailable("unknown"));
  });

  it("says stored: unknown when a later trigger of an enqueueMany fails after the first was stored", async () => {
    const platform = await scriptedPlatform([{ json: { id: "run_1" } }, "reset"]);
    platforms.push(platform);
    const keyed = defineJob({
      name: "mail.keyed",
      schema: z.object({ to: z.string() }),
      idempotencyKey: (payload) => payload.to,
      handler: () => {},
    });
    const jobs = createSwitchyard({
      backend: trigger({ secretKey: "tr_dev_test", baseURL: platform.url, requestRetry: quickRetry }),
      jobs: [keyed],
      logger: silentLogger,
    });
    opened.push(jobs);
    const error = await failure(() => jobs.enqueueMany(keyed, [{ to: "a" }, { to: "b" }]));
    expect(error).toEqual(unavailable("unknown"));
    expect((error as Error).message).toContain("1 of 2 jobs were stored");
  });

  it("says stored: no for a read whose connection broke: it writes nothing", async () => {
    const platform = await resettingPlatform();
    platforms.push(platform);
    await expect(client(platform.url).get("run_1")).rejects.toEqual(unavailable("no"));
  });
});

describe("trigger: Trigger.dev answering with an error", () => {
  it("turns a 503 into BackendUnavailableError: stored unknown for a trigger, no for a read", async () => {
    const platform = await answeringPlatform(503, '{"error":"service unavailable"}');
    platforms.push(platform);
    const jobs = client(platform.url);
    const error = await failure(() => jobs.enqueue(job, { to: "a@example.com" }));
    expect(error).toEqual(unavailable("unknown"));
    expect((error as Error).message).toContain("answered 503: service unavailable");
    // Not tried again: the run may exist.
    expect(platform.received).toBe(1);
    await expect(jobs.listFailed()).rejects.toEqual(unavailable("no"));
  });

  it("turns a 401 into a ConfigError naming TRIGGER_SECRET_KEY, with Trigger.dev's message", async () => {
    const platform = await answeringPlatform(401, '{"error":"Invalid API Key"}');
    platforms.push(platform);
    const error = await failure(() => client(platform.url).enqueue(job, { to: "a@example.com" }));
    expect(error).toMatchObject({ name: "ConfigError", code: "SWITCHYARD_CONFIG" });
    expect((error as Error).message).toContain("TRIGGER_SECRET_KEY");
    expect((error as Error).message).toContain("Invalid API Key");
  });

  it("turns any other refusal into a TriggerApiError with the status and Trigger.dev's message", async () => {
    const platform = await answeringPlatform(400, '{"error":"Task not found"}');
    platforms.push(platform);
    await expect(client(platform.url).enqueue(job, { to: "a@example.com" })).rejects.toMatchObject({
      name: "TriggerApiError",
      code: "SWITCHYARD_TRIGGER_API",
      status: 400,
      message: expect.stringContaining("Task not found"),
    });
  });
});
