// Durable steps on QStash, through the emulator: what the conformance kit does not reach (plan
// limits, a redelivered step, a forged continuation, retry and listFailed of a job that failed in
// a continuation, a child's result reaching its parent).
import { ChildJobFailedError, defineJob, PermanentError } from "@switchyard/core";
import { signDelivery } from "@switchyard/emulator-qstash";
import { waitFor } from "@switchyard/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { type EmulatedApp, startEmulatedApp } from "./emulated-app.js";

const empty = z.object({});
let app: EmulatedApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function settled(id: string, state: string, timeoutMs = 15_000) {
  return waitFor(
    async () => {
      const snapshot = await app!.jobs.get(id);
      return snapshot?.state === state && snapshot;
    },
    { message: `job ${id} to be ${state}`, timeoutMs },
  );
}

/** The messages QStash holds for `url` exactly, by id. */
async function messagesTo(url: string): Promise<Set<string>> {
  const { logs } = await app!.api.logs({ filter: { url } });
  return new Set(logs.map((entry) => entry.messageId));
}

describe("durable steps on QStash", () => {
  it("a step that would make the continuation larger than maxMessageBytes fails the job there with UnstorableResultError", async () => {
    const calls: string[] = [];
    const job = defineJob({
      name: "big-step",
      schema: empty,
      retry: { maxAttempts: 3 },
      handler: async (_p, ctx) => {
        await ctx.step.run("small", () => void calls.push("small"));
        await ctx.step
          .run("big", () => {
            calls.push("big");
            return "x".repeat(3_000);
          })
          .catch((error: { code?: string }) => {
            calls.push(error.code ?? "?");
            throw error;
          });
        calls.push("after");
      },
    });
    app = await startEmulatedApp({ jobs: [job], limits: { maxMessageBytes: 2_000 } });
    const { id } = await app.jobs.enqueue(job, {});
    const failed = await settled(id, "failed");
    expect(failed.error?.code).toBe("SWITCHYARD_UNSTORABLE_RESULT");
    expect(failed.error?.message).toContain("maxMessageBytes");
    expect(calls).toEqual(["small", "big", "SWITCHYARD_UNSTORABLE_RESULT"]);
  });

  it("a sleep longer than the plan's longest delay is slept in hops the plan accepts", async () => {
    let runs = 0;
    let woke = 0;
    const job = defineJob({
      name: "long-sleep",
      schema: empty,
      handler: async (_p, ctx) => {
        runs++;
        await ctx.step.sleep("nap", "2500ms");
        woke = Date.now();
      },
    });
    // The emulator refuses any delay over 1 s, as QStash refuses one over the plan's maximum.
    app = await startEmulatedApp({
      jobs: [job],
      limits: { maxDelayMs: 1_000 },
      emulator: { maxDelayMs: 1_000 },
    });
    const started = Date.now();
    const { id } = await app.jobs.enqueue(job, {});
    await settled(id, "completed");
    expect(woke - started).toBeGreaterThanOrEqual(2_500);
    expect(runs).toBeGreaterThanOrEqual(3); // the first run, at least one hop, the wake-up
  });

  it("a delivery QStash sends again publishes its continuation once (deduplicated by the delivered message)", async () => {
    let stepRuns = 0;
    const job = defineJob({
      name: "redelivered",
      schema: empty,
      handler: async (_p, ctx) => {
        await ctx.step.run("a", () => {
          stepRuns++;
        });
      },
    });
    app = await startEmulatedApp({ jobs: [job] });
    // The continuation stays waiting, so that it can be counted.
    app.emulator.holdDeliveries(app.handlerUrl);
    const url = `${app.handlerUrl}?job=${job.name}`;
    const body = Buffer.from("{}");
    const deliver = () =>
      fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "upstash-message-id": "msg_redelivered",
          "upstash-retried": "0",
          "upstash-signature": signDelivery({ signingKey: app!.emulator.currentSigningKey, url, body }),
        },
        body,
      });
    // The same message delivered twice: QStash delivers at least once.
    expect((await deliver()).status).toBe(200);
    expect((await deliver()).status).toBe(200);
    expect(stepRuns).toBe(2); // at least once, as in Upstash Workflow
    const continuations = await messagesTo(`${url}&run=msg_redelivered`);
    expect(continuations.size).toBe(1);
  });

  it("a continuation whose steps were changed after signing is refused with 401 and runs nothing", async () => {
    let runs = 0;
    const job = defineJob({
      name: "guarded",
      schema: empty,
      handler: async (_p, ctx) => {
        runs++;
        await ctx.step.run("charge", () => "charged");
      },
    });
    app = await startEmulatedApp({ jobs: [job] });
    const url = `${app.handlerUrl}?job=${job.name}&run=msg_forged`;
    const signed = Buffer.from(
      JSON.stringify({ switchyard: "continuation", attempt: 1, payload: {}, steps: [] }),
    );
    const forged = JSON.stringify({
      switchyard: "continuation",
      attempt: 1,
      payload: {},
      steps: [["charge", { type: "run", result: "skipped" }]],
    });
    const response = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "upstash-message-id": "msg_forged",
        "upstash-signature": signDelivery({ signingKey: app.emulator.currentSigningKey, url, body: signed }),
      },
      body: forged,
    });
    expect(response.status).toBe(401);
    expect(runs).toBe(0);
  });

  it("a job that failed in a continuation is listed under its own id, and retry(id) resumes it from its steps", async () => {
    let firstRuns = 0;
    let failNext = true;
    const job = defineJob({
      name: "fails-later",
      schema: z.object({ order: z.string() }),
      retry: { maxAttempts: 1 },
      handler: async (_p, ctx) => {
        await ctx.step.run("first", () => {
          firstRuns++;
        });
        if (failNext) {
          failNext = false;
          throw new PermanentError("declined");
        }
        return "done";
      },
    });
    app = await startEmulatedApp({ jobs: [job] });
    const { id } = await app.jobs.enqueue(job, { order: "o-1" });
    const failed = await settled(id, "failed");
    expect(failed).toMatchObject({ payload: { order: "o-1" }, steps: ["first"], attempts: 1 });
    const listed = await app.jobs.listFailed();
    expect(listed.map((snapshot) => [snapshot.id, snapshot.payload])).toEqual([[id, { order: "o-1" }]]);
    expect(await app.jobs.retry(id)).toBe(true);
    const done = await settled(id, "completed");
    expect(done.attempts).toBe(1);
    expect(firstRuns).toBe(1);
  });

  it("invoke hands the child's result to the parent (QStash keeps none: the child publishes it)", async () => {
    const seen: unknown[] = [];
    const child = defineJob({
      name: "child.double",
      schema: z.object({ n: z.number() }),
      handler: (p) => ({ doubled: p.n * 2 }),
    });
    const parent = defineJob({
      name: "parent.sum",
      schema: z.object({ n: z.number() }),
      handler: async (p, ctx) => {
        const result = await ctx.step.invoke("double", child, { n: p.n });
        await ctx.step.run("record", () => void seen.push(result));
      },
    });
    app = await startEmulatedApp({ jobs: [parent, child] });
    const { id } = await app.jobs.enqueue(parent, { n: 21 });
    const done = await settled(id, "completed");
    expect(seen).toEqual([{ doubled: 42 }]);
    expect(done.steps).toEqual(["double", "record"]);
  });

  it("a child whose result cannot fit in one message fails, and the parent's invoke with it", async () => {
    let caught: unknown;
    const child = defineJob({ name: "child.big", schema: empty, handler: () => "x".repeat(3_000) });
    const parent = defineJob({
      name: "parent.big",
      schema: empty,
      handler: async (_p, ctx) => {
        await ctx.step.invoke("big", child, {}).catch((error: unknown) => {
          caught = error;
        });
      },
    });
    app = await startEmulatedApp({ jobs: [parent, child], limits: { maxMessageBytes: 2_000 } });
    const { id } = await app.jobs.enqueue(parent, {});
    await settled(id, "completed");
    expect(caught).toBeInstanceOf(ChildJobFailedError);
    expect((caught as ChildJobFailedError).childError?.code).toBe("SWITCHYARD_UNSTORABLE_RESULT");
  });

  it("a job cancelled while a step runs stops there: its continuation is not published", async () => {
    const ran: string[] = [];
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const job = defineJob({
      name: "cancelled-mid-step",
      schema: empty,
      handler: async (_p, ctx) => {
        await ctx.step.run("slow", async () => {
          ran.push("slow");
          await held;
        });
        await ctx.step.run("after", () => void ran.push("after"));
      },
    });
    app = await startEmulatedApp({ jobs: [job] });
    const { id } = await app.jobs.enqueue(job, {});
    await waitFor(() => ran.length === 1, { message: "the slow step to start" });
    expect(await app.jobs.cancel(id)).toBe(true);
    release();
    const cancelled = await settled(id, "cancelled");
    expect(cancelled.error?.code).toBe("SWITCHYARD_JOB_CANCELLED");
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(ran).toEqual(["slow"]);
    expect((await app.jobs.get(id))?.state).toBe("cancelled");
  });
});
