import { defineJob } from "@switchyard/core";
import { expect } from "vitest";
import { z } from "zod";
import { Probe } from "../probe.js";
import { defineScenario } from "../scenario.js";
import { waitFor } from "../wait-for.js";
import { expectCode, numberPayload } from "./fixtures.js";

const VALIDATION = "SWITCHYARD_VALIDATION";
const emailPayload = z.object({ to: z.email(), n: z.number().int() });

export const validationScenarios = [
  defineScenario({
    id: "validation.at-enqueue",
    title: "a bad payload is rejected at enqueue with the schema issues, and nothing is enqueued",
    requires: [],
    async run(t) {
      const probe = new Probe();
      const job = defineJob({
        name: t.jobName("validate"),
        schema: emailPayload,
        handler: (p, ctx) => probe.enter(p, ctx)(),
      });
      const client = await t.client([job]);
      await t.start(client);
      const error = await expectCode(() => client.enqueue(job, { to: "not-an-email", n: 1.5 }), VALIDATION);
      const issues = error.issues as Array<{ path: unknown[]; message: string }>;
      expect(issues.map((issue) => issue.path)).toEqual(expect.arrayContaining([["to"], ["n"]]));
      expect(error.message).toContain("to");
      // A good job enqueued after the bad one runs; it is the only one that does.
      const good = await client.enqueue(job, { to: "a@example.com", n: 2 });
      await waitFor(() => probe.calls.length >= 1, { message: "the good job to run" });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(probe.calls.map((call) => call.id)).toEqual([good.id]);
    },
  }),
  defineScenario({
    id: "validation.enqueue-many-all-or-nothing",
    title: "one bad payload in enqueueMany rejects the batch, naming its index, and nothing is enqueued",
    requires: ["enqueue.bulk"],
    async run(t) {
      const probe = new Probe();
      const job = defineJob({
        name: t.jobName("batch"),
        schema: numberPayload,
        handler: (p, ctx) => probe.enter(p, ctx)(),
      });
      const client = await t.client([job]);
      await t.start(client);
      const error = await expectCode(
        () => client.enqueueMany(job, [{ n: 1 }, { n: 2 }, { n: "three" as unknown as number }]),
        VALIDATION,
      );
      expect((error.issues as Array<{ path: unknown[] }>)[0]?.path).toEqual([2, "n"]);
      const sentinel = await client.enqueue(job, { n: 4 });
      await waitFor(() => probe.calls.length >= 1, { message: "the sentinel job to run" });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(probe.calls.map((call) => call.id)).toEqual([sentinel.id]);
    },
  }),
  defineScenario({
    id: "validation.before-handler",
    title: "a stored payload that no longer matches the schema fails permanently without calling the handler",
    requires: ["jobs.get"],
    async run(t) {
      // The schema tightens between enqueue and run, as after a deploy that changed it.
      let strict = false;
      const schema = z
        .object({ n: z.number() })
        .refine((value) => !strict || value.n > 100, { message: "n must exceed 100" });
      const probe = new Probe();
      const job = defineJob({
        name: t.jobName("revalidate"),
        schema,
        retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "1s" } },
        handler: (p, ctx) => probe.enter(p, ctx)(),
      });
      const client = await t.client([job]);
      const { id } = await client.enqueue(job, { n: 1 });
      strict = true;
      await t.start(client);
      const snapshot = await waitFor(
        async () => {
          const current = await client.get(id);
          return current?.state === "failed" && current;
        },
        { message: "the job to fail" },
      );
      expect(snapshot.error?.code).toBe(VALIDATION);
      expect(snapshot.error?.message).toContain("n must exceed 100");
      expect(snapshot.attempts).toBe(1);
      expect(probe.calls).toHaveLength(0);
    },
  }),
];
