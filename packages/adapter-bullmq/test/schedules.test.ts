import { defineJob } from "@switchyard/core";
import { waitFor } from "@switchyard/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { TestClients } from "./test-client.js";

const clients = new TestClients();
afterEach(() => clients.cleanup());

describe("schedules on BullMQ job schedulers", () => {
  it("keep whether they were declared: through the runs a worker plans, and until an imperative upsert of the same id", async () => {
    let runs = 0;
    const name = clients.name("tick");
    const job = defineJob({
      name,
      schema: z.object({}),
      schedule: { id: `${name}-often`, every: "200ms" },
      handler: () => void runs++,
    });
    const client = await clients.client([job]);
    await clients.worker(client, 1); // syncs the declared schedule
    // Each run makes the worker store the next one (BullMQ updates the scheduler's hash).
    await waitFor(() => runs >= 2, { message: "two scheduled runs" });
    expect(await client.schedules.list()).toEqual([
      expect.objectContaining({ id: `${name}-often`, job: name, everyMs: 200, declared: true }),
    ]);
    await client.schedules.upsert(job, { id: `${name}-often`, every: "1h" });
    expect(await client.schedules.list()).toEqual([
      expect.objectContaining({ id: `${name}-often`, everyMs: 3_600_000, declared: false }),
    ]);
  });
});
