// Durable steps on the reference backend, beyond the conformance kit: parallel steps beside a sleep.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createSwitchyard, defineJob, memory, silentLogger } from "../src/index.js";
import { runAttempt } from "../src/run-attempt.js";
import type { StepRecord, StepStore } from "../src/steps/step-record.js";

describe("durable steps", () => {
  it("a step still running when a sibling step sleeps is stored before the job suspends", async () => {
    const runs = { slow: 0, handler: 0 };
    const job = defineJob({
      name: "parallel",
      schema: z.object({}),
      handler: async (_p, ctx) => {
        runs.handler++;
        await Promise.all([
          ctx.step.run("slow", async () => {
            runs.slow++;
            await new Promise((resolve) => setTimeout(resolve, 100));
            return "slow done";
          }),
          ctx.step.sleep("nap", "20ms"),
        ]);
        return "done";
      },
    });
    const jobs = createSwitchyard({ backend: memory(), jobs: [job], logger: silentLogger });
    const worker = jobs.work();
    const { id } = await jobs.enqueue(job, {});
    await expect.poll(async () => (await jobs.get(id))?.state, { timeout: 5_000 }).toBe("completed");
    expect(runs).toEqual({ slow: 1, handler: 2 });
    expect((await jobs.get(id))?.steps?.sort()).toEqual(["nap", "slow"]);
    await worker.stop();
  });

  it("a store that suspends after each run ends the attempt once the parallel steps are saved", async () => {
    const saved = new Map<string, StepRecord>();
    const store: StepStore = {
      completed: new Map(),
      suspendsAfterEachRun: true,
      async save(id, record) {
        saved.set(id, record);
      },
    };
    const ran: string[] = [];
    const job = defineJob({
      name: "continued",
      schema: z.object({}),
      handler: async (_p, ctx) => {
        await Promise.all([
          ctx.step.run("fast", () => ran.push("fast")),
          ctx.step.run("slow", async () => {
            await new Promise((resolve) => setTimeout(resolve, 50));
            ran.push("slow");
          }),
        ]);
        await ctx.step.run("next", () => ran.push("next"));
      },
    });
    const outcome = await runAttempt(
      job as never,
      { id: "j1", payload: {}, attempt: 1, steps: store },
      silentLogger,
    );
    expect(outcome.type).toBe("suspended");
    expect([...saved.keys()].sort()).toEqual(["fast", "slow"]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ran.sort()).toEqual(["fast", "slow"]); // "next" waits for the next run
  });
});
