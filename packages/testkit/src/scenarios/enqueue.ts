import { defineJob } from "@switchyard/core";
import { expect } from "vitest";
import { Probe } from "../probe.js";
import { defineScenario } from "../scenario.js";
import { waitFor } from "../wait-for.js";
import { numberPayload } from "./fixtures.js";

export const enqueueScenarios = [
  defineScenario({
    id: "enqueue.process",
    title: "an enqueued job runs once with its payload",
    requires: [],
    async run(t) {
      const probe = new Probe();
      const job = defineJob({
        name: t.jobName("process"),
        schema: numberPayload,
        handler: (payload, ctx) => probe.enter(payload, ctx)(),
      });
      const client = await t.client([job]);
      await t.start(client);
      const { id, deduplicated } = await client.enqueue(job, { n: 7 });
      expect(typeof id).toBe("string");
      expect(id.length).toBeGreaterThan(0);
      expect(deduplicated).toBe(false);
      await waitFor(() => probe.calls.length === 1, { message: "the handler to run" });
      expect(probe.calls[0]).toMatchObject({ id, attempt: 1, payload: { n: 7 } });
    },
  }),
  defineScenario({
    id: "enqueue.distinct-ids",
    title: "each enqueue without an idempotency key gets its own id and runs",
    requires: [],
    async run(t) {
      const probe = new Probe();
      const job = defineJob({
        name: t.jobName("ids"),
        schema: numberPayload,
        handler: (p, ctx) => probe.enter(p, ctx)(),
      });
      const client = await t.client([job]);
      await t.start(client);
      const first = await client.enqueue(job, { n: 1 });
      const second = await client.enqueue(job, { n: 1 });
      expect(first.id).not.toBe(second.id);
      await waitFor(() => probe.calls.length === 2, { message: "both jobs to run" });
      expect(new Set(probe.calls.map((call) => call.id))).toEqual(new Set([first.id, second.id]));
    },
  }),
  defineScenario({
    id: "enqueue.many",
    title: "enqueueMany enqueues every payload in order and each runs once",
    requires: ["enqueue.bulk"],
    async run(t) {
      const probe = new Probe();
      const job = defineJob({
        name: t.jobName("many"),
        schema: numberPayload,
        handler: (p, ctx) => probe.enter(p, ctx)(),
      });
      const client = await t.client([job]);
      await t.start(client);
      const results = await client.enqueueMany(
        job,
        Array.from({ length: 20 }, (_, n) => ({ n })),
      );
      expect(results).toHaveLength(20);
      expect(new Set(results.map((r) => r.id)).size).toBe(20);
      await waitFor(() => probe.calls.length === 20, { message: "20 jobs to run" });
      const byId = new Map(probe.calls.map((call) => [call.id, call.payload]));
      for (const [n, result] of results.entries()) expect(byId.get(result.id)).toEqual({ n });
    },
  }),
  defineScenario({
    id: "enqueue.context",
    title: "the handler's context carries id, name, attempt, maxAttempts and a live signal",
    requires: [],
    async run(t) {
      const seen: Array<Record<string, unknown>> = [];
      const name = t.jobName("context");
      const job = defineJob({
        name,
        schema: numberPayload,
        retry: { maxAttempts: 4, backoff: { type: "fixed", delay: "1s" } },
        handler: (_payload, ctx) => {
          seen.push({
            id: ctx.id,
            name: ctx.name,
            attempt: ctx.attempt,
            max: ctx.maxAttempts,
            aborted: ctx.signal.aborted,
          });
        },
      });
      const client = await t.client([job]);
      await t.start(client);
      const { id } = await client.enqueue(job, { n: 1 });
      await waitFor(() => seen.length === 1, { message: "the handler to run" });
      expect(seen[0]).toEqual({ id, name, attempt: 1, max: 4, aborted: false });
    },
  }),
  defineScenario({
    id: "enqueue.many-fifo",
    title: "jobs of one enqueueMany batch start in the order given (one worker slot)",
    requires: ["enqueue.bulk"],
    execution: ["embedded", "worker"],
    async run(t) {
      const order: number[] = [];
      const job = defineJob({
        name: t.jobName("fifo"),
        schema: numberPayload,
        handler: (p) => void order.push(p.n),
      });
      const client = await t.client([job]);
      await client.enqueueMany(
        job,
        Array.from({ length: 20 }, (_, n) => ({ n })),
      );
      await t.start(client, { concurrency: 1 });
      await waitFor(() => order.length === 20, { message: "the batch to run" });
      expect(order).toEqual(Array.from({ length: 20 }, (_, n) => n));
    },
  }),
];
