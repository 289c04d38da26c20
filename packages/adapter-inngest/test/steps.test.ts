// ctx.step on Inngest's own step tools, beyond the kit's steps.* scenarios: attempts the SDK abandons
// at a step end quietly (no timer left to fail them later), Inngest's limits fail the job at the step
// that passes them, and what an invoke cannot do is refused.
import {
  createSwitchyard,
  defineJob,
  type JobEvent,
  type Switchyard,
  type SwitchyardOptions,
  silentLogger as switchyardSilent,
} from "@switchyard/core";
import { sleep, waitFor } from "@switchyard/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { inngestHarness } from "./inngest-harness.js";

type Harness = Awaited<ReturnType<typeof inngestHarness>>;
let harness: Harness;
const opened: Switchyard[] = [];

beforeAll(async () => {
  harness = await inngestHarness();
});
afterAll(() => harness.dispose?.());
afterEach(async () => {
  for (const client of opened.splice(0)) await client.close();
});

const empty = z.object({});

async function started(jobs: SwitchyardOptions["jobs"]): Promise<Switchyard> {
  const client = createSwitchyard({ backend: await harness.createBackend(), jobs, logger: switchyardSilent });
  opened.push(client);
  await harness.start(client, { concurrency: 1 });
  return client;
}

async function settled(client: Switchyard, id: string, state: string) {
  return waitFor(
    async () => {
      const snapshot = await client.get(id);
      return snapshot?.state === state && snapshot;
    },
    { message: `job ${id} to be ${state}`, timeoutMs: 20_000 },
  );
}

describe("inngest adapter: steps", () => {
  it("ends an attempt the SDK abandoned at a sleep as suspended: its timeout never fires, no failure is reported", async () => {
    const events: JobEvent[] = [];
    const job = defineJob({
      name: "napper",
      schema: empty,
      timeout: "600ms",
      retry: { maxAttempts: 1 },
      handler: async (_p, ctx) => {
        await ctx.step.run("before", () => "ran");
        await ctx.step.sleep("nap", "1s");
        return "awake";
      },
    });
    const client = await started([job]);
    client.on("*", (event) => void events.push(event));
    const { id } = await client.enqueue(job, {});
    const done = await settled(client, id, "completed");
    expect(done.result).toBe("awake");
    // The first attempt's handler waited on the sleep long past its 600 ms timeout: had it not been
    // ended when its request was answered, its timer would have reported a failure meanwhile.
    await sleep(700);
    const types = events.filter((event) => event.id === id).map((event) => event.type);
    expect(types).toEqual(["enqueued", "started", "suspended", "started", "completed"]);
  });

  it("shows a job read while active as delayed once it sleeps: the run's queue is read past REST v1's 5 s cache", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const job = defineJob({
      name: "late-napper",
      schema: empty,
      handler: async (_p, ctx) => {
        await ctx.step.run("wait-for-test", () => gate.then(() => "released"));
        await ctx.step.sleep("nap", "3s");
      },
    });
    const client = await started([job]);
    const { id } = await client.enqueue(job, {});
    // Read while the run is active: a cached read of its queue would hide the sleep for 5 s.
    await settled(client, id, "active");
    release();
    const sleeping = await waitFor(
      async () => {
        const snapshot = await client.get(id);
        return snapshot?.state === "delayed" && snapshot;
      },
      { message: `job ${id} to be delayed within its 3 s sleep`, timeoutMs: 2_500 },
    );
    expect(sleeping.runAt?.getTime()).toBeGreaterThan(Date.now());
    await settled(client, id, "completed");
  });

  it("fails the job at a step whose result passes Inngest's 4 MB per step, without retry", async () => {
    let runs = 0;
    const job = defineJob({
      name: "hoarder",
      schema: empty,
      retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "100ms" } },
      handler: async (_p, ctx) => {
        runs++;
        await ctx.step.run("huge", () => "x".repeat(4 * 1024 * 1024));
        return "stored";
      },
    });
    const client = await started([job]);
    const { id } = await client.enqueue(job, {});
    const failed = await settled(client, id, "failed");
    expect(failed.error).toMatchObject({ code: "SWITCHYARD_UNSTORABLE_RESULT" });
    expect(failed.error?.message).toContain("at most 4194304 bytes per step");
    expect(runs).toBe(1);
  });

  it("fails the job at its 1001st step with NotSupportedError naming Inngest's limit", async () => {
    let ran = 0;
    const job = defineJob({
      name: "counter",
      schema: empty,
      handler: async (_p, ctx) => {
        for (let i = 0; i < 1_001; i++) await ctx.step.run(`s${i}`, () => ++ran);
      },
    });
    const client = await started([job]);
    const { id } = await client.enqueue(job, {});
    const failed = await waitFor(
      async () => {
        const snapshot = await client.get(id);
        return snapshot?.state === "failed" && snapshot;
      },
      { message: "the job to fail", timeoutMs: 60_000 },
    );
    expect(failed.error).toMatchObject({ code: "SWITCHYARD_NOT_SUPPORTED" });
    expect(failed.error?.message).toContain("at most 1000 steps");
    expect(ran).toBe(1_000);
  }, 90_000);

  it("refuses an invoke with a delay (an Inngest invoke starts the child at once)", async () => {
    const child = defineJob({ name: "child", schema: empty, handler: () => "child" });
    const parent = defineJob({
      name: "parent",
      schema: empty,
      handler: async (_p, ctx) => ctx.step.invoke("later", child, {}, { delay: "1s" }),
    });
    const client = await started([parent, child]);
    const { id } = await client.enqueue(parent, {});
    const failed = await settled(client, id, "failed");
    expect(failed.error).toMatchObject({ code: "SWITCHYARD_NOT_SUPPORTED" });
    expect(failed.error?.message).toContain("with delay");
  });

  it("shows the child of an invoke through get, with its payload and result", async () => {
    const child = defineJob({
      name: "doubler",
      schema: z.object({ n: z.number() }),
      handler: (p) => p.n * 2,
    });
    let childId: string | undefined;
    const parent = defineJob({
      name: "asker",
      schema: empty,
      handler: async (_p, ctx) => {
        const doubled = await ctx.step.invoke("double", child, { n: 4 });
        return doubled;
      },
    });
    const client = await started([parent, child]);
    client.on("completed", (event) => {
      if (event.name === "doubler") childId = event.id;
    });
    const { id } = await client.enqueue(parent, {});
    expect((await settled(client, id, "completed")).result).toBe(8);
    expect(childId).toBeDefined();
    const snapshot = await client.get(childId as string);
    expect(snapshot).toMatchObject({ name: "doubler", state: "completed", payload: { n: 4 }, result: 8 });
  });

  it("gives the parent ChildJobFailedError when its child is cancelled", async () => {
    let childId: string | undefined;
    let caught: unknown;
    const child = defineJob({
      name: "slowpoke",
      schema: empty,
      handler: async (_p, ctx) => {
        await ctx.step.sleep("forever", "1h");
      },
    });
    const parent = defineJob({
      name: "waiter",
      schema: empty,
      handler: async (_p, ctx) => {
        try {
          await ctx.step.invoke("wait", child, {});
        } catch (error) {
          caught = error;
          return "compensated";
        }
      },
    });
    const client = await started([parent, child]);
    client.on("started", (event) => {
      if (event.name === "slowpoke") childId = event.id;
    });
    const { id } = await client.enqueue(parent, {});
    await waitFor(() => childId !== undefined, { message: "the child to start" });
    await settled(client, childId as string, "delayed");
    expect(await client.cancel(childId as string)).toBe(true);
    expect((await settled(client, id, "completed")).result).toBe("compensated");
    expect(caught).toMatchObject({ code: "SWITCHYARD_CHILD_JOB_FAILED" });
  });
});
