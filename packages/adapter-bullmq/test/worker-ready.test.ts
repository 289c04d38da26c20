import { randomBytes } from "node:crypto";
import { BackendUnavailableError, createSwitchyard, defineJob, type JobLogger } from "@switchyard/core";
import { waitFor } from "@switchyard/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { type BullmqBackendOptions, bullmq } from "../src/index.js";
import { freePort, startRedis, type ThrowawayRedis } from "./throwaway-redis.js";

const servers: ThrowawayRedis[] = [];
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close().catch(() => {});
  for (const server of servers.splice(0)) await server.kill();
});

function clientOn(port: number, options: BullmqBackendOptions = {}) {
  const warnings: string[] = [];
  const logger: JobLogger = { info: () => {}, warn: (message) => warnings.push(message), error: () => {} };
  const ran: number[] = [];
  const job = defineJob({
    name: "ready",
    schema: z.object({ n: z.number() }),
    handler: (payload) => void ran.push(payload.n),
  });
  const client = createSwitchyard({
    backend: bullmq({
      url: `redis://127.0.0.1:${port}`,
      prefix: `sy-ready-${randomBytes(3).toString("hex")}`,
      ...options,
    }),
    jobs: [job],
    logger,
  });
  closers.push(() => client.close());
  return { client, job, warnings, ran };
}

describe("worker.ready", () => {
  it("waits out an outage by default: a worker started while Redis is down starts once it answers", {
    timeout: 30_000,
  }, async () => {
    const port = await freePort();
    const { client, job, warnings, ran } = clientOn(port);
    const worker = client.work({ concurrency: 1 });
    let settled = false;
    worker.ready.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    await waitFor(() => warnings.some((warning) => /ECONNREFUSED/.test(warning)), {
      message: "the connection error to be logged",
    });
    expect(settled).toBe(false);
    servers.push(await startRedis(port));
    await worker.ready;
    await client.enqueue(job, { n: 7 });
    await waitFor(() => ran.length === 1, { message: "the job to run" });
    expect(ran).toEqual([7]);
    await worker.stop();
  });

  it("rejects with BackendUnavailableError after readyTimeout, and the worker stops promptly", async () => {
    const port = await freePort();
    const { client } = clientOn(port, { readyTimeout: "300ms" });
    const started = Date.now();
    const worker = client.work({ concurrency: 1 });
    const error = await worker.ready.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    const waited = Date.now() - started;
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as BackendUnavailableError).backend).toBe("bullmq");
    expect((error as Error).message).toMatch(/readyTimeout \(300 ms\).*ECONNREFUSED/);
    expect((error as Error).cause).toBeInstanceOf(Error);
    expect(waited).toBeGreaterThanOrEqual(290);
    expect(waited).toBeLessThan(2_000);
    const stopping = Date.now();
    await worker.stop();
    await client.close();
    expect(Date.now() - stopping).toBeLessThan(1_000);
  });
});
