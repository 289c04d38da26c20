// Several processes of one app on one store (issue 14): a job's concurrency limit holds across
// workers whatever each process's definition or deploy order, declared schedules belong to the code
// of the latest deploy, and listFailed lists only this client's jobs.
import { defineJob } from "@switchyard/core";
import { expect } from "vitest";
import { z } from "zod";
import { Probe } from "../probe.js";
import { defineScenario } from "../scenario.js";
import { sleep, waitFor } from "../wait-for.js";
import { numberPayload } from "./fixtures.js";

export const multiProcessScenarios = [
  defineScenario({
    id: "concurrency.multi-process",
    title:
      "a job's concurrency limit holds across two worker processes, whatever a producer defined without it enqueues",
    requires: ["job.concurrency"],
    execution: ["worker"],
    multiProcess: true,
    timeoutMs: 60_000,
    async run(t) {
      const probe = new Probe();
      const name = t.jobName("shared-limit");
      const handler = async (
        p: { n: number },
        ctx: Parameters<Parameters<typeof defineJob>[0]["handler"]>[1],
      ) => {
        const leave = probe.enter(p, ctx);
        await sleep(150);
        leave();
      };
      const limited = defineJob({ name, schema: numberPayload, concurrency: 2, handler });
      const first = await t.client([limited]);
      const second = await t.sibling(first, [limited]);
      // A web process that only enqueues, with a definition that leaves the limit out.
      const producer = await t.sibling(first, [defineJob({ name, schema: numberPayload, handler })]);
      await t.start(first, { concurrency: 10 });
      await t.start(second, { concurrency: 10 });
      for (let n = 0; n < 16; n++) await producer.enqueue(limited, { n });
      await waitFor(() => probe.calls.length === 16, { message: "sixteen jobs to run", timeoutMs: 40_000 });
      await sleep(200);
      expect(probe.maxActive(), "never more than the limit at once").toBeLessThanOrEqual(2);
      expect(probe.averageActive(), "the limit's lanes kept busy with a backlog").toBeGreaterThanOrEqual(1.6);
    },
  }),
  defineScenario({
    id: "concurrency.limit-held",
    title: "with a backlog, a concurrency limit of 3 keeps close to 3 jobs running",
    requires: ["job.concurrency"],
    async run(t) {
      const probe = new Probe();
      const job = defineJob({
        name: t.jobName("busy-lanes"),
        schema: numberPayload,
        concurrency: 3,
        handler: async (p, ctx) => {
          const leave = probe.enter(p, ctx);
          await sleep(300); // long next to an HTTP backend's ~20 ms of delivery per job
          leave();
        },
      });
      const client = await t.client([job]);
      await client.enqueueMany(
        job,
        Array.from({ length: 24 }, (_, n) => ({ n })),
      );
      await t.start(client, { concurrency: 10 });
      await waitFor(() => probe.calls.length === 24, { message: "24 jobs to run", timeoutMs: 30_000 });
      await sleep(200);
      expect(probe.maxActive()).toBeLessThanOrEqual(3);
      expect(probe.averageActive(), "lanes kept busy").toBeGreaterThanOrEqual(2.4);
    },
  }),
  defineScenario({
    id: "schedule.declared-removed",
    title: "a schedule removed from defineJob is removed at the next deploy; imperative schedules stay",
    requires: ["schedule.every", "schedule.imperative"],
    multiProcess: true,
    async run(t) {
      const name = t.jobName("report");
      const schema = z.object({});
      const before = defineJob({
        name,
        schema,
        schedule: { id: `${name}-hourly`, every: "1h" },
        handler: () => {},
      });
      const first = await t.client([before]);
      await first.schedules.sync();
      await first.schedules.upsert(before, { id: `${name}-adhoc`, every: "2h" });
      expect((await first.schedules.list()).map((s) => s.id).sort()).toEqual([
        `${name}-adhoc`,
        `${name}-hourly`,
      ]);
      // The next deploy: the same job, its schedule deleted from the code.
      const after = defineJob({ name, schema, handler: () => {} });
      const next = await t.sibling(first, [after]);
      await next.schedules.sync();
      expect((await next.schedules.list()).map((s) => s.id)).toEqual([`${name}-adhoc`]);
    },
  }),
  defineScenario({
    id: "failed.scoped",
    title: "listFailed lists only the jobs this client knows, not other apps' on the same store",
    requires: ["jobs.listFailed"],
    multiProcess: true,
    async run(t) {
      const mine = defineJob({
        name: t.jobName("mine"),
        schema: numberPayload,
        retry: { maxAttempts: 1 },
        handler: () => {
          throw new Error("mine fails");
        },
      });
      const theirs = defineJob({
        name: t.jobName("theirs"),
        schema: numberPayload,
        retry: { maxAttempts: 1 },
        handler: () => {
          throw new Error("theirs fails");
        },
      });
      const client = await t.client([mine]);
      const other = await t.sibling(client, [theirs]);
      await t.start(client);
      await t.start(other);
      await client.enqueue(mine, { n: 1 });
      await other.enqueue(theirs, { n: 2 });
      await waitFor(
        async () => (await client.listFailed()).length >= 1 && (await other.listFailed()).length >= 1,
        {
          message: "both jobs to fail",
        },
      );
      await sleep(300);
      expect((await client.listFailed()).map((job) => job.name)).toEqual([mine.name]);
      expect((await other.listFailed()).map((job) => job.name)).toEqual([theirs.name]);
    },
  }),
];
