import { defineJob } from "@switchyard/core";
import { expect } from "vitest";
import { defineScenario } from "../scenario.js";
import { sleep, waitFor } from "../wait-for.js";
import { numberPayload } from "./fixtures.js";

const COUNT = 1_000;

export const volumeScenarios = [
  defineScenario({
    id: "volume.thousand",
    title: "1,000 jobs are all processed, each exactly once",
    requires: [],
    timeoutMs: 120_000,
    async run(t) {
      const runs = new Map<number, number>();
      const job = defineJob({
        name: t.jobName("volume"),
        schema: numberPayload,
        handler: (payload) => void runs.set(payload.n, (runs.get(payload.n) ?? 0) + 1),
      });
      const client = await t.client([job]);
      await t.start(client, { concurrency: 50 });
      const payloads = Array.from({ length: COUNT }, (_, n) => ({ n }));
      if (client.capabilities.features["enqueue.bulk"] !== "unsupported") {
        for (let start = 0; start < COUNT; start += 250)
          await client.enqueueMany(job, payloads.slice(start, start + 250));
      } else {
        for (let start = 0; start < COUNT; start += 50) {
          await Promise.all(payloads.slice(start, start + 50).map((payload) => client.enqueue(job, payload)));
        }
      }
      await waitFor(() => runs.size === COUNT, {
        message: `${COUNT} distinct jobs to run`,
        timeoutMs: 100_000,
      });
      await sleep(1_000);
      const repeated = [...runs.entries()].filter(([, times]) => times !== 1);
      expect(repeated, "jobs that ran more than once").toEqual([]);
      expect(runs.size).toBe(COUNT);
    },
  }),
];
