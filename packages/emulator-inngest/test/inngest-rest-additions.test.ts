import { Inngest } from "inngest";
import { serve } from "inngest/edge";
import { afterEach, describe, expect, it } from "vitest";
import {
  hashSigningKey,
  type InngestExecutor,
  startFetchHandlerServer,
  startInngestExecutor,
} from "../src/index.js";

// The REST routes and the test control added for the Inngest adapter: the events API of REST v1,
// rerun of REST v2, and holding an app's calls.

const silent = { info() {}, warn() {}, error() {}, debug() {} };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(appId: string) {
  const executor = await startInngestExecutor({ timeScale: 0.001, retryJitter: false });
  cleanups.push(() => executor.close());
  const inngest = new Inngest({
    id: appId,
    baseUrl: executor.url,
    signingKey: executor.signingKey,
    eventKey: executor.eventKey,
    isDev: false,
    logger: silent,
  });
  return { executor, inngest };
}

async function host(
  executor: InngestExecutor,
  inngest: Inngest,
  functions: Parameters<typeof serve>[0]["functions"],
) {
  const app = await startFetchHandlerServer(serve({ client: inngest, functions }));
  cleanups.push(() => app.close());
  await executor.sync(app.url);
}

async function rest(executor: InngestExecutor, path: string, init: RequestInit = {}) {
  const response = await fetch(`${executor.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${hashSigningKey(executor.signingKey)}` },
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

describe("Inngest executor: REST v1 events", () => {
  it("returns one event by internal id with the sender's id and data, 404 when unknown", async () => {
    const { executor, inngest } = await setup("events-app");
    const { ids } = await inngest.send([
      { name: "app/a", id: "my-key", data: { n: 1 } },
      { name: "app/a", data: { n: 2 } },
    ]);
    const keyed = await rest(executor, `/v1/events/${ids[0]}`);
    expect(keyed.status).toBe(200);
    expect(keyed.body.data).toMatchObject({
      internal_id: ids[0],
      id: "my-key",
      name: "app/a",
      data: { n: 1 },
    });
    const plain = await rest(executor, `/v1/events/${ids[1]}`);
    expect(plain.body.data).toMatchObject({ internal_id: ids[1], id: ids[1], data: { n: 2 } });
    expect((await rest(executor, "/v1/events/01ARZ3NDEKTSV4RRFFQ69G5FAV")).status).toBe(404);
    expect((await rest(executor, "/v1/events/not-a-ulid")).status).toBe(400);
    expect((await fetch(`${executor.url}/v1/events/${ids[0]}`)).status).toBe(401);
  });

  it("lists events newest first, filtered by name, paged with an internal-id cursor", async () => {
    const { executor, inngest } = await setup("list-app");
    const sent: string[] = [];
    for (let n = 0; n < 5; n++) sent.push(...(await inngest.send({ name: "app/listed", data: { n } })).ids);
    await inngest.send({ name: "app/other", data: {} });

    const first = await rest(executor, "/v1/events?name=app/listed&limit=3");
    expect(first.body.data.map((e: { data: { n: number } }) => e.data.n)).toEqual([4, 3, 2]);
    const cursor = first.body.data.at(-1).internal_id;
    const second = await rest(executor, `/v1/events?name=app/listed&limit=3&cursor=${cursor}`);
    expect(second.body.data.map((e: { internal_id: string }) => e.internal_id)).toEqual([sent[1], sent[0]]);

    const all = await rest(executor, "/v1/events?limit=50");
    expect(all.body.data.map((e: { name: string }) => e.name)).toContain("app/other");
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await rest(executor, `/v1/events?received_after=${future}`)).body.data).toEqual([]);
  });
});

describe("Inngest executor: REST v2 rerun", () => {
  it("reruns a failed run for the same event with fresh attempts, linked to the original", async () => {
    const { executor, inngest } = await setup("rerun-app");
    let healthy = false;
    const attempts: number[] = [];
    const fn = inngest.createFunction(
      { id: "flaky", retries: 1, triggers: { event: "app/flaky" } },
      async ({ attempt }) => {
        attempts.push(attempt);
        if (!healthy) throw new Error("down");
        return "fine";
      },
    );
    await host(executor, inngest, [fn]);
    const { ids } = await inngest.send({ name: "app/flaky", data: {} });
    const [failed] = await executor.waitForEventRuns(ids[0] as string);
    expect(failed?.status).toBe("Failed");

    healthy = true;
    const rerun = await rest(executor, `/v2/runs/${failed?.id}/rerun`, { method: "POST" });
    expect(rerun.status).toBe(200);
    const newRunId = rerun.body.data.runId as string;
    expect(newRunId).not.toBe(failed?.id);
    const done = await executor.waitForRun(newRunId);
    expect(done).toMatchObject({ status: "Completed", output: "fine", originalRunId: failed?.id });
    expect(attempts).toEqual([0, 1, 0]);

    const listed = await rest(executor, `/v1/events/${ids[0]}/runs`);
    expect(listed.body.data.map((run: { run_id: string }) => run.run_id)).toEqual([failed?.id, newRunId]);
    expect(listed.body.data[1].original_run_id).toBe(failed?.id);
    expect(
      (await rest(executor, "/v2/runs/01ARZ3NDEKTSV4RRFFQ69G5FAV/rerun", { method: "POST" })).status,
    ).toBe(404);
  });

  it("refuses to rerun a cron run, as the platform does", async () => {
    const { executor, inngest } = await setup("rerun-cron-app");
    const fn = inngest.createFunction({ id: "tick", triggers: { cron: "0 0 1 1 *" } }, async () => "tick");
    await host(executor, inngest, [fn]);
    const run = await executor.waitForRun(executor.fireCron("tick")?.id ?? "");
    expect((await rest(executor, `/v2/runs/${run.id}/rerun`, { method: "POST" })).status).toBe(501);
  });
});

describe("Inngest executor: holding an app's calls", () => {
  it("keeps runs queued with no call while held, and makes the calls on release", async () => {
    const { executor, inngest } = await setup("held-app");
    let calls = 0;
    const fn = inngest.createFunction({ id: "f", triggers: { event: "app/held" } }, async () => ++calls);
    await host(executor, inngest, [fn]);
    executor.holdApp("held-app");
    const { ids } = await inngest.send([{ name: "app/held" }, { name: "app/held" }]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(calls).toBe(0);
    const runs = ids.flatMap((id) => executor.runsForEvent(id));
    expect(runs.map((run) => run.status)).toEqual(["Scheduled", "Scheduled"]);
    const v2 = await rest(executor, `/v2/runs/${runs[0]?.id}`);
    expect(v2.body.data.status).toBe("QUEUED");

    executor.releaseApp("held-app");
    await executor.waitForIdle();
    expect(calls).toBe(2);
    expect(ids.flatMap((id) => executor.runsForEvent(id)).map((run) => run.status)).toEqual([
      "Completed",
      "Completed",
    ]);
  });
});
