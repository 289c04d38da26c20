// Durable steps on the reference backend, beyond the conformance kit: parallel steps beside a sleep.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createSwitchyard, defineJob, memory, silentLogger } from "../src/index.js";

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
});
