// Lifecycle events on every backend (issue 17): the client that runs an attempt reports it.
import { defineJob, type JobEvent } from "@switchyard/core";
import { expect } from "vitest";
import { defineScenario } from "../scenario.js";
import { waitFor } from "../wait-for.js";
import { numberPayload } from "./fixtures.js";

export const eventScenarios = [
  defineScenario({
    id: "events.lifecycle",
    title: "a job that fails once then succeeds emits started, retrying, started, completed, in order",
    requires: ["retry.backoff.fixed"],
    async run(t) {
      const job = defineJob({
        name: t.jobName("events"),
        schema: numberPayload,
        retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "1s" } },
        handler: (_p, ctx) => {
          if (ctx.attempt === 1) throw new Error("first attempt fails");
          return "ok";
        },
      });
      const client = await t.client([job]);
      const seen: JobEvent[] = [];
      client.on("*", (event) => void seen.push(event));
      await t.start(client);
      const { id } = await client.enqueue(job, { n: 1 });
      const attemptEvents = () =>
        seen.filter((event) => event.id === id && event.type !== "enqueued").map((event) => event.type);
      await waitFor(() => attemptEvents().includes("completed"), { message: "the job to complete" });
      expect(attemptEvents()).toEqual(["started", "retrying", "started", "completed"]);
      expect(seen.filter((event) => event.id === id && event.type === "enqueued")).toHaveLength(1);
      const retrying = seen.find((event) => event.type === "retrying");
      expect(retrying).toMatchObject({ attempt: 1, error: { message: "first attempt fails" } });
    },
  }),
];
