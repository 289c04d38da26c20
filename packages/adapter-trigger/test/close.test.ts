import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createSwitchyard, defineJob, silentLogger } from "@switchyard/core";
import { waitFor } from "@switchyard/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { trigger } from "../src/index.js";

// What close() releases: the wait of an enqueueMany for its batch's run ids (its timers).

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A Trigger.dev API that accepts a batch and never creates its runs; counts the batch lookups. */
async function batchNeverProcessed(): Promise<{ url: string; lookups: () => number }> {
  let lookups = 0;
  const answers: Record<string, () => unknown> = {
    "POST /api/v3/batches": () => ({ id: "batch_1", runCount: 2, isCached: false }),
    "POST /api/v3/batches/batch_1/items": () => ({
      id: "batch_1",
      itemsAccepted: 2,
      itemsDeduplicated: 0,
      sealed: true,
    }),
    "GET /api/v2/batches/batch_1": () => {
      lookups++;
      const now = new Date().toISOString();
      return {
        id: "batch_1",
        status: "PENDING",
        createdAt: now,
        updatedAt: now,
        runCount: 2,
        runs: [],
        processing: { errors: [] },
      };
    },
  };
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const answer = answers[`${req.method} ${req.url}`];
      res.writeHead(answer ? 200 : 404, { "content-type": "application/json" });
      res.end(JSON.stringify(answer ? answer() : { error: "not found" }));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, lookups: () => lookups };
}

describe("trigger: close()", () => {
  it("ends an enqueueMany waiting for its batch's runs at once, with ClientClosedError saying the batch was accepted", async () => {
    const api = await batchNeverProcessed();
    const job = defineJob({ name: "mail.send", schema: z.object({ to: z.string() }), handler: () => {} });
    const client = createSwitchyard({
      backend: trigger({ secretKey: "tr_dev_test", baseURL: api.url, batchTimeout: "5m" }),
      jobs: [job],
      logger: silentLogger,
    });
    const pending = client.enqueueMany(job, [{ to: "a" }, { to: "b" }]).catch((error: unknown) => error);
    await waitFor(() => api.lookups() > 0, { message: "the batch to be looked up" });
    const closedAt = Date.now();
    await client.close();
    const error = await pending;
    expect(Date.now() - closedAt).toBeLessThan(1_000);
    expect(error).toMatchObject({
      code: "SWITCHYARD_CLIENT_CLOSED",
      message: expect.stringContaining("accepted batch batch_1 of 2 runs"),
    });
  });
});
