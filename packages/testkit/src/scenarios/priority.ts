import { defineJob } from "@switchyard/core";
import { expect } from "vitest";
import { Probe } from "../probe.js";
import { defineScenario } from "../scenario.js";
import { waitFor } from "../wait-for.js";
import { expectCode, NOT_SUPPORTED, numberPayload } from "./fixtures.js";

export const priorityScenarios = [
  defineScenario({
    id: "priority.order",
    title: "among waiting jobs, a lower priority number runs first",
    requires: ["enqueue.priority"],
    async run(t) {
      const probe = new Probe();
      const job = defineJob({
        name: t.jobName("priority"),
        schema: numberPayload,
        handler: (p, ctx) => probe.enter(p, ctx)(),
      });
      const client = await t.client([job]);
      // Enqueued before the runtime starts, so all are waiting when the first one is picked.
      for (const [n, priority] of [
        [1, 10],
        [2, 10],
        [3, 1],
        [4, 5],
        [5, 1],
      ] as const) {
        await client.enqueue(job, { n }, { priority });
      }
      await t.start(client, { concurrency: 1 });
      await waitFor(() => probe.calls.length === 5, { message: "five jobs to run" });
      expect(probe.calls.map((call) => (call.payload as { n: number }).n)).toEqual([3, 5, 4, 1, 2]);
    },
    async whenUnsupported(t) {
      const job = defineJob({ name: t.jobName("priority"), schema: numberPayload, handler: () => {} });
      const client = await t.client([job]);
      await expectCode(() => client.enqueue(job, { n: 1 }, { priority: 1 }), NOT_SUPPORTED);
    },
  }),
];
