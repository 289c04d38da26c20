import { createSwitchyard, defineJob, silentLogger } from "@switchyard/core";
import { waitFor } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { eventNameFor } from "../src/index.js";
import { inngestHarness } from "./inngest-harness.js";

// What close() releases: the waits for Inngest to create a run (a keyed enqueue deciding whether it
// is a duplicate), and the handler, which answers 503 from then on.

type Harness = Awaited<ReturnType<typeof inngestHarness>>;
let harness: Harness;
beforeAll(async () => {
  // Inngest takes 10 s to create a run here, so a keyed enqueue sent after another with its key
  // waits (up to runCreationWait, 30 s) to see which of the two gets the run.
  harness = await inngestHarness({ runCreationWait: "30s" }, { runCreationDelayMs: 10_000 });
});
afterAll(() => harness?.dispose?.());

const job = defineJob({ name: "mail.send", schema: z.object({ to: z.string() }), handler: () => {} });

describe("inngest: close()", () => {
  it("ends a wait for run creation in flight at once: that enqueue rejects with ClientClosedError saying the event was sent", async () => {
    const client = createSwitchyard({
      backend: await harness.createBackend(),
      jobs: [job],
      logger: silentLogger,
    });
    await client.enqueue(job, { to: "a" }, { idempotencyKey: "welcome:a" });
    const sent = harness.executor.events().filter((e) => e.event.name === eventNameFor("mail.send")).length;
    // Neither event has a run yet: the second enqueue waits to see which gets it.
    const duplicate = client
      .enqueue(job, { to: "a" }, { idempotencyKey: "welcome:a" })
      .catch((error: unknown) => error);
    await waitFor(
      () => harness.executor.events().filter((e) => e.event.name === eventNameFor("mail.send")).length > sent,
      { message: "the duplicate event to arrive" },
    );
    const closedAt = Date.now();
    await client.close();
    const error = await duplicate;
    expect(Date.now() - closedAt).toBeLessThan(2_000);
    expect(error).toMatchObject({
      code: "SWITCHYARD_CLIENT_CLOSED",
      message: expect.stringContaining("the events were sent"),
    });
  });

  it("makes the handler answer 503, which Inngest retries, and run nothing", async () => {
    let ran = 0;
    const counted = defineJob({ name: "counted", schema: z.object({}), handler: () => void ran++ });
    const client = createSwitchyard({
      backend: await harness.createBackend(),
      jobs: [counted],
      logger: silentLogger,
    });
    const handler = client.handler();
    await client.close();
    const response = await handler(new Request("http://127.0.0.1/api/inngest", { method: "PUT" }));
    expect(response.status).toBe(503);
    expect(ran).toBe(0);
  });
});
