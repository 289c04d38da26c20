import { defineJob } from "@switchyard/core";
import { waitFor } from "@switchyard/testkit";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { useFreshSchemas } from "./fresh-schema.js";

const schemas = useFreshSchemas();
const numberPayload = z.object({ n: z.number() });

describe("stopping a worker (core owns the graceful stop's timeout)", () => {
  it("a hard stop while a graceful one drains aborts the attempt at once, and both stops resolve", async () => {
    let aborted = 0;
    let started = false;
    const job = defineJob({
      name: "draining",
      schema: numberPayload,
      retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "20s" } },
      handler: (_payload, ctx) =>
        new Promise<void>((_resolve, reject) => {
          started = true;
          ctx.signal.addEventListener("abort", () => {
            aborted++;
            reject(ctx.signal.reason);
          });
        }),
    });
    const { client } = await schemas.client([job]);
    const worker = await schemas.start(client);
    const { id } = await client.enqueue(job, { n: 1 });
    // The handler itself, not get()'s "active": a job fetched into the local queue is locked, so active,
    // before a handler takes it, and a graceful stop then only gives it back.
    await waitFor(async () => started && (await client.get(id))?.state === "active", {
      message: "the attempt",
    });

    let gracefulDone = false;
    const graceful = worker.stop().then(() => {
      gracefulDone = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(gracefulDone, "a graceful stop waits for the running attempt").toBe(false);
    expect(aborted).toBe(0);

    const hardStopAt = Date.now();
    await worker.stop({ graceful: false });
    await graceful;
    expect(Date.now() - hardStopAt, "the hard stop resolves promptly").toBeLessThan(2_000);
    expect(aborted).toBe(1);
    // Back to the queue at once (not after the 20 s backoff), its attempt counted.
    const snapshot = await client.get(id);
    expect(snapshot).toMatchObject({ state: "waiting", attempts: 1 });
    expect(snapshot?.error?.code).toBe("SWITCHYARD_STALLED");
  });

  it("stop() is idempotent: a second graceful stop resolves with the first", async () => {
    const job = defineJob({ name: "idle", schema: numberPayload, handler: () => {} });
    const { client } = await schemas.client([job]);
    const worker = await schemas.start(client);
    await Promise.all([worker.stop(), worker.stop(), worker.stop({ graceful: false })]);
    await worker.stop();
  });
});
