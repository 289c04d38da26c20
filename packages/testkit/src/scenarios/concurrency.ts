import { defineJob } from "@switchyard/core";
import { expect } from "vitest";
import { z } from "zod";
import { Probe } from "../probe.js";
import { defineScenario } from "../scenario.js";
import { sleep, waitFor } from "../wait-for.js";
import { expectCode, NOT_SUPPORTED, numberPayload } from "./fixtures.js";

export const concurrencyScenarios = [
  defineScenario({
    id: "concurrency.job-limit",
    title: "a job's concurrency limit is never exceeded, and is reached",
    requires: ["job.concurrency"],
    async run(t) {
      const probe = new Probe();
      const job = defineJob({
        name: t.jobName("limited"),
        schema: numberPayload,
        concurrency: 2,
        handler: async (p, ctx) => {
          const leave = probe.enter(p, ctx);
          await sleep(200);
          leave();
        },
      });
      const client = await t.client([job]);
      await t.start(client, { concurrency: 10 });
      for (let n = 0; n < 8; n++) await client.enqueue(job, { n });
      await waitFor(() => probe.calls.length === 8, { message: "eight jobs to run", timeoutMs: 20_000 });
      expect(probe.maxActive()).toBe(2);
    },
    async whenUnsupported(t) {
      const job = defineJob({
        name: t.jobName("limited"),
        schema: numberPayload,
        concurrency: 2,
        handler: () => {},
      });
      await expectCode(() => t.client([job]), NOT_SUPPORTED);
    },
  }),
  defineScenario({
    id: "concurrency.worker-limit",
    title: "a worker never runs more attempts at once than its concurrency",
    requires: [],
    execution: ["embedded", "worker"],
    async run(t) {
      const probe = new Probe();
      const job = defineJob({
        name: t.jobName("busy"),
        schema: numberPayload,
        handler: async (p, ctx) => {
          const leave = probe.enter(p, ctx);
          await sleep(150);
          leave();
        },
      });
      const client = await t.client([job]);
      await t.start(client, { concurrency: 3 });
      for (let n = 0; n < 12; n++) await client.enqueue(job, { n });
      await waitFor(() => probe.calls.length === 12, { message: "twelve jobs to run", timeoutMs: 20_000 });
      expect(probe.maxActive()).toBeLessThanOrEqual(3);
      expect(probe.maxActive()).toBeGreaterThanOrEqual(2);
    },
  }),
  defineScenario({
    id: "concurrency.key",
    title: "with a concurrency key the limit holds per key, and different keys run side by side",
    requires: ["job.concurrency", "enqueue.concurrencyKey"],
    negativeFor: ["enqueue.concurrencyKey"],
    async run(t) {
      const probe = new Probe();
      const job = defineJob({
        name: t.jobName("per-tenant"),
        schema: z.object({ tenant: z.string(), n: z.number() }),
        concurrency: 1,
        handler: async (p, ctx) => {
          const leave = probe.enter(p, ctx, p.tenant);
          await sleep(300);
          leave();
        },
      });
      const client = await t.client([job]);
      await t.start(client, { concurrency: 10 });
      for (let n = 0; n < 3; n++) {
        for (const tenant of ["a", "b"]) await client.enqueue(job, { tenant, n }, { concurrencyKey: tenant });
      }
      await waitFor(() => probe.calls.length === 6, { message: "six jobs to run", timeoutMs: 20_000 });
      expect(probe.maxActive("a")).toBe(1);
      expect(probe.maxActive("b")).toBe(1);
      expect(probe.maxActive()).toBe(2);
    },
    async whenUnsupported(t) {
      const job = defineJob({ name: t.jobName("per-tenant"), schema: numberPayload, handler: () => {} });
      const client = await t.client([job]);
      await expectCode(() => client.enqueue(job, { n: 1 }, { concurrencyKey: "a" }), NOT_SUPPORTED);
    },
  }),
];
