import { Inngest, RetryAfterError } from "inngest";
import { serve } from "inngest/edge";
import { afterEach, describe, expect, it } from "vitest";
import {
  hashSigningKey,
  type InngestExecutor,
  type InngestExecutorOptions,
  startFetchHandlerServer,
  startInngestExecutor,
} from "../src/index.js";

// Two platform rules an API client must survive: runs are created after the event API answers,
// and REST v1 GET answers are served from a cache for 3-15 s (see the package README).

const silent = { info() {}, warn() {}, error() {}, debug() {} };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(options: InngestExecutorOptions = {}) {
  const executor = await startInngestExecutor({ timeScale: 0.001, retryJitter: false, ...options });
  cleanups.push(() => executor.close());
  const inngest = new Inngest({
    id: "cache-app",
    baseUrl: executor.url,
    signingKey: executor.signingKey,
    eventKey: executor.eventKey,
    isDev: false,
    logger: silent,
  });
  const fn = inngest.createFunction({ id: "echo", triggers: { event: "app/echo" } }, async () => ({
    done: true,
  }));
  const app = await startFetchHandlerServer(serve({ client: inngest, functions: [fn] }));
  cleanups.push(() => app.close());
  await executor.sync(app.url);
  return { executor, inngest };
}

async function get(executor: InngestExecutor, path: string, bearer = hashSigningKey(executor.signingKey)) {
  const response = await fetch(`${executor.url}${path}`, { headers: { authorization: `Bearer ${bearer}` } });
  return { response, body: JSON.parse(await response.text()) };
}

describe("Inngest executor: runs are created after the event API answers", () => {
  it("has no run for an event when send returns, and creates it runCreationDelayMs later", async () => {
    const { executor, inngest } = await setup({ runCreationDelayMs: 200 });
    const sentAt = Date.now();
    const { ids } = await inngest.send({ name: "app/echo" });
    const eventId = ids[0] as string;
    expect(executor.runsForEvent(eventId)).toEqual([]);
    expect(executor.events().find((event) => event.internalId === eventId)?.processedAt).toBeUndefined();
    const [run] = await executor.waitForEvent(eventId);
    expect(run?.functionId).toBe("echo");
    const processedAt = executor.events().find((event) => event.internalId === eventId)?.processedAt;
    expect(processedAt!.getTime() - sentAt).toBeGreaterThanOrEqual(190);
  });
});

describe("Inngest executor: REST v1 answers are cached", () => {
  it("serves GET /v1/events/{id}/runs from its cache for 15 s: an empty answer read at send stays empty", async () => {
    const { executor, inngest } = await setup();
    const { ids } = await inngest.send({ name: "app/echo" });
    const eventId = ids[0] as string;
    const first = await get(executor, `/v1/events/${eventId}/runs`);
    expect(first.body.data).toEqual([]);
    expect(first.response.headers.get("cache-control")).toBe("private, max-age=15");
    const cachedUntil = Date.parse(first.body.metadata.cached_until);
    expect(cachedUntil - Date.parse(first.body.metadata.fetched_at)).toBe(15_000);

    await executor.waitForEventRuns(eventId);
    const again = await get(executor, `/v1/events/${eventId}/runs`);
    expect(again.body).toEqual(first.body); // the stored body, metadata included
    // Another Authorization (the raw key instead of its hash) is another cache entry.
    const other = await get(executor, `/v1/events/${eventId}/runs`, executor.signingKey);
    expect(other.body.data).toEqual([expect.objectContaining({ status: "Completed" })]);
    // REST v2 has no cache.
    const v2 = await get(executor, `/v2/events/${eventId}/runs?include_output=true`);
    expect(v2.body.data).toEqual([expect.objectContaining({ status: "COMPLETED", output: { done: true } })]);
    expect(v2.response.headers.get("cache-control")).toBeNull();
  });

  it("keeps GET /v1/runs/{id} for 3 s and GET /v1/events/{id} for 5 s; errors and lists are not cached", async () => {
    const { executor, inngest } = await setup();
    const { ids } = await inngest.send({ name: "app/echo" });
    const eventId = ids[0] as string;
    const [run] = await executor.waitForEventRuns(eventId);
    const one = await get(executor, `/v1/runs/${run?.id}`);
    expect(one.response.headers.get("cache-control")).toBe("private, max-age=3");
    const event = await get(executor, `/v1/events/${eventId}`);
    expect(event.response.headers.get("cache-control")).toBe("private, max-age=5");
    const list = await get(executor, "/v1/events?name=app/echo");
    expect(list.response.headers.get("cache-control")).toBeNull();
    expect(list.body.metadata.cached_until).toBeUndefined();
    const unknown = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
    expect((await get(executor, `/v1/events/${unknown}`)).response.status).toBe(404);
    expect((await get(executor, `/v1/events/${unknown}`)).response.headers.get("cache-control")).toBeNull();
  });

  it("reads a cancelled run as running within 3 s through v1, and as cancelled through v2", async () => {
    const { executor, inngest } = await setup();
    const slow = inngest.createFunction({ id: "slow", triggers: { event: "app/slow" } }, async ({ step }) => {
      await step.sleep("nap", "1h");
    });
    const app = await startFetchHandlerServer(serve({ client: inngest, functions: [slow] }));
    cleanups.push(() => app.close());
    await executor.sync(app.url);
    const { ids } = await inngest.send({ name: "app/slow" });
    const [run] = await executor.waitForEvent(ids[0] as string);
    const before = await get(executor, `/v1/runs/${run?.id}`);
    expect(before.body.data.status).toBe("Running");
    const cancel = await fetch(`${executor.url}/v2/runs/${run?.id}/cancel`, {
      method: "POST",
      headers: { authorization: `Bearer ${executor.signingKey}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(cancel.status).toBe(200);
    expect((await get(executor, `/v1/runs/${run?.id}`)).body.data.status).toBe("Running");
    expect((await get(executor, `/v2/runs/${run?.id}`)).body.data.status).toBe("CANCELLED");
  });

  it("answers every read fresh with restCache: false", async () => {
    const { executor, inngest } = await setup({ restCache: false });
    const { ids } = await inngest.send({ name: "app/echo" });
    const eventId = ids[0] as string;
    expect((await get(executor, `/v1/events/${eventId}/runs`)).body.data).toEqual([]);
    await executor.waitForEventRuns(eventId);
    expect((await get(executor, `/v1/events/${eventId}/runs`)).body.data).toHaveLength(1);
  });
});

describe("Inngest executor: REST v2 event runs", () => {
  it("lists an event's runs, output only on request (a single run's wrapped as {data}), limits 1-40", async () => {
    const { executor, inngest } = await setup();
    const { ids } = await inngest.send({ name: "app/echo" });
    const eventId = ids[0] as string;
    const [run] = await executor.waitForEventRuns(eventId);
    const listed = await get(executor, `/v2/events/${eventId}/runs`);
    expect(listed.body.data).toEqual([expect.objectContaining({ id: run?.id, status: "COMPLETED" })]);
    expect(listed.body.data[0].output).toBeUndefined();
    expect(listed.body.page).toEqual({ hasMore: false, limit: 20 });
    const single = await get(executor, `/v2/runs/${run?.id}?include_output=true`);
    expect(single.body.data.output).toEqual({ data: { done: true } }); // the trace output's wrapper
    expect((await get(executor, `/v2/events/${eventId}/runs?limit=41`)).response.status).toBe(400);
    expect((await get(executor, "/v2/events/not-a-ulid/runs")).response.status).toBe(400);
  });
});

describe("Inngest executor: REST v1 run jobs", () => {
  it("shows a run waiting for its retry as its queue item, due at the retry time with the next attempt", async () => {
    const executor = await startInngestExecutor({ timeScale: 1, retryJitter: false });
    cleanups.push(() => executor.close());
    const inngest = new Inngest({
      id: "jobs-app",
      baseUrl: executor.url,
      signingKey: executor.signingKey,
      eventKey: executor.eventKey,
      isDev: false,
      logger: silent,
    });
    const fn = inngest.createFunction({ id: "later", triggers: { event: "app/later" } }, async () => {
      throw new RetryAfterError("not yet", "30s");
    });
    const app = await startFetchHandlerServer(serve({ client: inngest, functions: [fn] }));
    cleanups.push(() => app.close());
    await executor.sync(app.url);
    const { ids } = await inngest.send({ name: "app/later" });
    const [run] = await executor.waitForEvent(ids[0] as string);
    const before = Date.now();
    const deadline = before + 5_000;
    while (executor.invocations({ runId: run?.id }).length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const { response, body } = await get(executor, `/v1/runs/${run?.id}/jobs`);
    expect(response.headers.get("cache-control")).toBe("private, max-age=5");
    expect(body.data).toEqual([
      { JobID: expect.any(String), at: expect.any(String), position: 0, kind: "start", attempt: 1 },
    ]);
    const at = Date.parse(body.data[0].at);
    expect(at).toBeGreaterThan(before + 25_000);
    expect(at).toBeLessThan(Date.now() + 31_000);
  });
});
