import { createSwitchyard, defineJob, silentLogger as quiet, type Switchyard } from "@switchyard/core";
import {
  answeringPlatform,
  closedPort,
  type FailingPlatform,
  resettingPlatform,
  scriptedPlatform,
} from "@switchyard/testkit";
import { Inngest } from "inngest";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { inngest, keyedJobId } from "../src/index.js";
import { silentLogger } from "./inngest-harness.js";

// Inngest unreachable or refusing, for every operation that calls it: one BackendUnavailableError
// (backend "inngest", the cause attached), and `stored` telling a send that never left from one
// that may have arrived. The SDK tries a send 5 times (about 1.5 s) before it gives up.

const job = defineJob({ name: "mail.send", schema: z.object({ to: z.string() }), handler: () => {} });
const signingKey = `signkey-test-${"ab".repeat(32)}`;

const opened: Switchyard[] = [];
const platforms: FailingPlatform[] = [];
afterEach(async () => {
  for (const client of opened.splice(0)) await client.close();
  for (const platform of platforms.splice(0)) await platform.close();
});

function client(baseUrl: string, options: { client?: Inngest.Any } = {}): Switchyard {
  const backend = options.client
    ? inngest({ client: options.client })
    : inngest({
        appId: "app",
        baseUrl,
        signingKey,
        eventKey: "event-key",
        isDev: false,
        logger: silentLogger,
      });
  const jobs = createSwitchyard({ backend, jobs: [job], logger: quiet });
  opened.push(jobs);
  return jobs;
}

const unavailable = (stored: "no" | "unknown") =>
  expect.objectContaining({
    name: "BackendUnavailableError",
    code: "SWITCHYARD_BACKEND_UNAVAILABLE",
    backend: "inngest",
    stored,
    cause: expect.anything(),
  });

/** Every operation of the client that calls Inngest (schedules are declarative: no call). */
function operations(jobs: Switchyard): Record<string, () => Promise<unknown>> {
  return {
    enqueue: () => jobs.enqueue(job, { to: "a@example.com" }),
    enqueueMany: () => jobs.enqueueMany(job, [{ to: "a@example.com" }, { to: "b@example.com" }]),
    get: () => jobs.get("01ARZ3NDEKTSV4RRFFQ69G5FAV"),
    "get (keyed id)": () => jobs.get(keyedJobId("mail.send", "welcome")),
    cancel: () => jobs.cancel("01ARZ3NDEKTSV4RRFFQ69G5FAV"),
    retry: () => jobs.retry("01ARZ3NDEKTSV4RRFFQ69G5FAV"),
    listFailed: () => jobs.listFailed(),
    counts: () => jobs.counts(),
    list: () => jobs.list({ state: "failed" }),
    retryFailed: () => jobs.retryFailed(),
  };
}

async function failure(operation: () => Promise<unknown>): Promise<unknown> {
  return operation().then(
    () => new Error("it succeeded"),
    (caught: unknown) => caught,
  );
}

describe("inngest: an unreachable Inngest", () => {
  it("fails every operation with BackendUnavailableError, stored: no", async () => {
    const jobs = client(await closedPort());
    for (const [name, operation] of Object.entries(operations(jobs))) {
      const error = await failure(operation);
      expect(error, name).toEqual(unavailable("no"));
      expect((error as Error).message, name).toMatch(/could not be reached.*ECONNREFUSED/);
    }
    expect(await jobs.schedules.list()).toEqual([]);
  });

  it("says stored: unknown for a send whose connection broke after the request left", async () => {
    const platform = await resettingPlatform();
    platforms.push(platform);
    const error = await failure(() => client(platform.url).enqueue(job, { to: "a@example.com" }));
    expect(error).toEqual(unavailable("unknown"));
    expect((error as Error).message).toMatch(/5 tries/);
  });

  it("still says stored: unknown when the SDK's last try was refused after a first one broke off", async () => {
    const platform = await resettingPlatform({ closeAfter: 1 });
    platforms.push(platform);
    const error = await failure(() => client(platform.url).enqueue(job, { to: "a@example.com" }));
    expect(platform.received).toBe(1);
    expect(error).toEqual(unavailable("unknown"));
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
  });

  it("says stored: unknown for any network failure of a client you pass: its tries cannot be seen", async () => {
    const url = await closedPort();
    const mine = new Inngest({
      id: "mine",
      baseUrl: url,
      eventKey: "k",
      signingKey,
      isDev: false,
      logger: silentLogger,
    });
    await expect(client(url, { client: mine }).enqueue(job, { to: "a" })).rejects.toEqual(
      unavailable("unknown"),
    );
  });

  it("says stored: unknown when a later send of an enqueueMany fails after the first was stored", async () => {
    const ids = Array.from({ length: 100 }, (_, n) => `01HZZZZZZZZZZZZZZZZZZZZ${String(n).padStart(3, "0")}`);
    const platform = await scriptedPlatform([{ json: { ids, status: 200 } }, "reset"]);
    platforms.push(platform);
    const payloads = Array.from({ length: 101 }, (_, n) => ({ to: `${n}@example.com` }));
    const error = await failure(() => client(platform.url).enqueueMany(job, payloads));
    expect(error).toEqual(unavailable("unknown"));
    expect((error as Error).message).toContain("the first 100 of 101 jobs were stored");
  });

  it("says stored: no for a read whose connection broke: it writes nothing", async () => {
    const platform = await resettingPlatform();
    platforms.push(platform);
    await expect(client(platform.url).listFailed()).rejects.toEqual(unavailable("no"));
  });
});

describe("inngest: Inngest answering with an error", () => {
  it("turns a 503 into BackendUnavailableError: stored unknown for a send, no for a read", async () => {
    const platform = await answeringPlatform(503, "service unavailable");
    platforms.push(platform);
    const jobs = client(platform.url);
    const error = await failure(() => jobs.enqueue(job, { to: "a@example.com" }));
    expect(error).toEqual(unavailable("unknown"));
    expect((error as Error).message).toContain("answered 503 to send: service unavailable");
    const read = await failure(() => jobs.listFailed());
    expect(read).toEqual(expect.objectContaining({ code: "SWITCHYARD_BACKEND_UNAVAILABLE", stored: "no" }));
    expect((read as Error).message).toContain("answered 503: service unavailable");
  });

  it("turns a 401 into a ConfigError naming the key to fix, with Inngest's message", async () => {
    const platform = await answeringPlatform(401, '{"error":"Event key not found"}');
    platforms.push(platform);
    const jobs = client(platform.url);
    const send = await failure(() => jobs.enqueue(job, { to: "a@example.com" }));
    expect(send).toMatchObject({ name: "ConfigError", code: "SWITCHYARD_CONFIG" });
    expect((send as Error).message).toContain("INNGEST_EVENT_KEY");
    const rest = await failure(() => jobs.listFailed());
    expect(rest).toMatchObject({ name: "ConfigError", code: "SWITCHYARD_CONFIG" });
    expect((rest as Error).message).toContain("INNGEST_SIGNING_KEY");
    expect((rest as Error).message).toContain("Event key not found");
  });

  it("keeps InngestApiError, with the status and Inngest's message, for any other refusal", async () => {
    const platform = await answeringPlatform(400, '{"error":"bad cursor"}');
    platforms.push(platform);
    await expect(client(platform.url).listFailed()).rejects.toMatchObject({
      name: "InngestApiError",
      code: "SWITCHYARD_INNGEST_API",
      status: 400,
      message: expect.stringContaining("bad cursor"),
    });
  });
});
