import { defineJob } from "@switchyard/core";
import { expect } from "vitest";
import { z } from "zod";
import { Probe } from "../probe.js";
import { defineScenario } from "../scenario.js";
import { sleep, waitFor } from "../wait-for.js";
import { expectCode, NOT_SUPPORTED, numberPayload } from "./fixtures.js";

export const idempotencyScenarios = [
  defineScenario({
    id: "idempotency.duplicate",
    title:
      "a second enqueue with a live idempotency key returns the first id, deduplicated, and runs nothing",
    requires: ["idempotency"],
    async run(t) {
      const probe = new Probe();
      const job = defineJob({
        name: t.jobName("dedup"),
        schema: numberPayload,
        handler: (p, ctx) => probe.enter(p, ctx)(),
      });
      const client = await t.client([job]);
      // Enqueued before the runtime starts: backends whose key lives until the job finishes still hold it.
      const first = await client.enqueue(job, { n: 1 }, { idempotencyKey: "order-17" });
      const second = await client.enqueue(job, { n: 2 }, { idempotencyKey: "order-17" });
      await t.start(client);
      expect(first.deduplicated).toBe(false);
      expect(second).toEqual({ id: first.id, deduplicated: true });
      await waitFor(() => probe.calls.length >= 1, { message: "the first job to run" });
      await sleep(1_000);
      expect(probe.calls.map((call) => call.payload)).toEqual([{ n: 1 }]);
    },
    async whenUnsupported(t) {
      const job = defineJob({ name: t.jobName("dedup"), schema: numberPayload, handler: () => {} });
      const client = await t.client([job]);
      await expectCode(() => client.enqueue(job, { n: 1 }, { idempotencyKey: "k" }), NOT_SUPPORTED);
    },
  }),
  defineScenario({
    id: "idempotency.job-key",
    title: "a job's idempotencyKey(payload) dedups equal payloads and lets different ones through",
    requires: ["idempotency"],
    async run(t) {
      const probe = new Probe();
      const job = defineJob({
        name: t.jobName("welcome"),
        schema: z.object({ to: z.string() }),
        idempotencyKey: (payload) => `welcome:${payload.to}`,
        handler: (p, ctx) => probe.enter(p, ctx)(),
      });
      const client = await t.client([job]);
      const a1 = await client.enqueue(job, { to: "a@example.com" });
      const a2 = await client.enqueue(job, { to: "a@example.com" });
      const b = await client.enqueue(job, { to: "b@example.com" });
      await t.start(client);
      expect(a2).toEqual({ id: a1.id, deduplicated: true });
      expect(b.deduplicated).toBe(false);
      expect(b.id).not.toBe(a1.id);
      await waitFor(() => probe.calls.length >= 2, { message: "two jobs to run" });
      await sleep(1_000);
      expect(
        probe.calls
          .map((call) => call.payload)
          .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
      ).toEqual([{ to: "a@example.com" }, { to: "b@example.com" }]);
    },
  }),
  defineScenario({
    id: "idempotency.ttl",
    title: "an idempotency key works again once its ttl has passed",
    requires: ["idempotency", "idempotency.ttl"],
    negativeFor: ["idempotency.ttl"],
    async run(t) {
      const probe = new Probe();
      const job = defineJob({
        name: t.jobName("ttl"),
        schema: numberPayload,
        handler: (p, ctx) => probe.enter(p, ctx)(),
      });
      const client = await t.client([job]);
      const first = await client.enqueue(job, { n: 1 }, { idempotencyKey: "k", idempotencyTtl: "1s" });
      const during = await client.enqueue(job, { n: 2 }, { idempotencyKey: "k", idempotencyTtl: "1s" });
      expect(during).toEqual({ id: first.id, deduplicated: true });
      await t.start(client);
      await sleep(2_000);
      const after = await client.enqueue(job, { n: 3 }, { idempotencyKey: "k", idempotencyTtl: "1s" });
      expect(after.deduplicated).toBe(false);
      expect(after.id).not.toBe(first.id);
      await waitFor(() => probe.calls.length >= 2, { message: "both jobs to run" });
      expect(probe.calls.map((call) => call.payload)).toEqual([{ n: 1 }, { n: 3 }]);
    },
    async whenUnsupported(t) {
      const job = defineJob({ name: t.jobName("ttl"), schema: numberPayload, handler: () => {} });
      const client = await t.client([job]);
      await expectCode(
        () => client.enqueue(job, { n: 1 }, { idempotencyKey: "k", idempotencyTtl: "1s" }),
        NOT_SUPPORTED,
      );
    },
  }),
  defineScenario({
    id: "idempotency.scoped-per-job",
    title: "the same idempotency key on two different jobs does not collide",
    requires: ["idempotency"],
    async run(t) {
      const probe = new Probe();
      const one = defineJob({
        name: t.jobName("one"),
        schema: numberPayload,
        handler: (p, ctx) => probe.enter(p, ctx)(),
      });
      const two = defineJob({
        name: t.jobName("two"),
        schema: numberPayload,
        handler: (p, ctx) => probe.enter(p, ctx)(),
      });
      const client = await t.client([one, two]);
      await t.start(client);
      const a = await client.enqueue(one, { n: 1 }, { idempotencyKey: "shared" });
      const b = await client.enqueue(two, { n: 2 }, { idempotencyKey: "shared" });
      expect(b.deduplicated).toBe(false);
      expect(b.id).not.toBe(a.id);
      await waitFor(() => probe.calls.length === 2, { message: "both jobs to run" });
    },
  }),
];
