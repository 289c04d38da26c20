import { defineJob } from "@switchyard/core";
import { expect } from "vitest";
import { Probe } from "../probe.js";
import { defineScenario } from "../scenario.js";
import { sleep, waitFor } from "../wait-for.js";
import { numberPayload } from "./fixtures.js";

export const workerScenarios = [
  defineScenario({
    id: "worker.graceful-stop",
    title: "a graceful stop lets running jobs finish before it resolves",
    requires: ["worker.gracefulStop"],
    async run(t) {
      const probe = new Probe();
      const finished: string[] = [];
      const job = defineJob({
        name: t.jobName("graceful"),
        schema: numberPayload,
        handler: async (p, ctx) => {
          const leave = probe.enter(p, ctx);
          await sleep(800);
          finished.push(ctx.id);
          leave();
        },
      });
      const client = await t.client([job]);
      const runtime = await t.start(client);
      const { id } = await client.enqueue(job, { n: 1 });
      await waitFor(() => probe.calls.length === 1, { message: "the job to start" });
      await runtime.stop({ graceful: true });
      expect(finished).toEqual([id]);
      if (client.capabilities.features["jobs.get"] !== "unsupported") {
        expect((await client.get(id))?.state).toBe("completed");
      }
    },
  }),
  defineScenario({
    id: "worker.crash-recovery",
    title: "a job whose worker crashed mid-run runs again and completes",
    requires: ["worker.crashRecovery"],
    timeoutMs: 60_000,
    async run(t) {
      const probe = new Probe();
      const job = defineJob({
        name: t.jobName("crash"),
        schema: numberPayload,
        retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "100ms" } },
        handler: async (p, ctx) => {
          probe.enter(p, ctx);
          if (probe.callsFor(ctx.id).length === 1) {
            // The first run hangs until its worker dies.
            await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
            return "abandoned";
          }
          return "recovered";
        },
      });
      const client = await t.client([job]);
      const first = await t.start(client);
      const { id } = await client.enqueue(job, { n: 1 });
      await waitFor(() => probe.calls.length === 1, { message: "the first run to start" });
      await first.crash();
      await t.start(client);
      await waitFor(() => probe.callsFor(id).length >= 2, {
        message: "the job to run again",
        timeoutMs: 45_000,
      });
      if (client.capabilities.features["jobs.get"] !== "unsupported") {
        const done = await waitFor(
          async () => {
            const current = await client.get(id);
            return current?.state === "completed" && current;
          },
          { message: "the job to complete" },
        );
        if (client.capabilities.features.results !== "unsupported") expect(done.result).toBe("recovered");
      }
      await sleep(500);
      expect(probe.callsFor(id)).toHaveLength(2);
    },
  }),
];
