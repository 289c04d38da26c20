import {
  BackendUnavailableError,
  createSwitchyard,
  defineJob,
  type Switchyard,
  silentLogger,
} from "@switchyard/core";
import { Probe, sleep, waitFor } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { postgres } from "../src/index.js";
import { startFixture } from "./child-process.js";
import { HARNESS_OPTIONS } from "./postgres-harness.js";
import { startThrowawayPostgres } from "./throwaway-postgres.js";

// The database goes away and comes back, on a server of our own: enqueue fails with a typed error while
// it is down, and both the client and a running worker carry on once it is back. A worker stops, and a
// client closes, by their deadline while it is down; jobs it could not release run again once it is back.

let server: Awaited<ReturnType<typeof startThrowawayPostgres>>;
let jobs: Switchyard;
const probe = new Probe();
const job = defineJob({
  name: "survivor",
  schema: z.object({ n: z.number() }),
  handler: (payload, ctx) => probe.enter(payload, ctx)(),
});

beforeAll(async () => {
  server = await startThrowawayPostgres();
  const backend = postgres({
    connectionString: server.url,
    ...HARNESS_OPTIONS,
    connectionTimeoutMillis: 2_000,
  });
  await backend.migrate();
  jobs = createSwitchyard({ backend, jobs: [job], logger: silentLogger });
}, 60_000);

afterAll(async () => {
  await jobs?.close().catch(() => {});
  server?.destroy();
});

describe("PostgreSQL stops and restarts", () => {
  it("enqueue fails with BackendUnavailableError while it is down; the worker resumes when it is back", {
    timeout: 60_000,
  }, async () => {
    const worker = jobs.work({ concurrency: 2 });
    await worker.ready;
    const before = await jobs.enqueue(job, { n: 1 });
    await waitFor(() => probe.callsFor(before.id).length === 1, { message: "a job before the stop" });

    server.stop("fast");
    const error = await jobs.enqueue(job, { n: 2 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as BackendUnavailableError).code).toBe("SWITCHYARD_BACKEND_UNAVAILABLE");

    server.start();
    const after = await waitFor(() => jobs.enqueue(job, { n: 3 }).catch(() => undefined), {
      message: "enqueue to work again",
      timeoutMs: 10_000,
      intervalMs: 200,
    });
    await waitFor(() => probe.callsFor(after.id).length === 1, {
      message: "the running worker to take the job after the restart",
      timeoutMs: 20_000,
    });
    expect(probe.calls.map((call) => call.payload)).toEqual([{ n: 1 }, { n: 3 }]);
    await worker.stop();
  });

  it("stop({ timeout }) and close() resolve by their deadline while the server is down; the running job is not lost", {
    timeout: 60_000,
  }, async () => {
    const started = new Probe();
    let aborted = false;
    const stubborn = defineJob({
      name: "stubborn",
      schema: z.object({ n: z.number() }),
      handler: (payload, ctx) => {
        started.enter(payload, ctx)();
        if (ctx.attempt > 1) return;
        return new Promise<void>((resolve) => {
          ctx.signal.addEventListener("abort", () => {
            aborted = true;
            resolve();
          });
        });
      },
    });
    const options = { connectionString: server.url, ...HARNESS_OPTIONS, connectionTimeoutMillis: 2_000 };
    const client = createSwitchyard({ backend: postgres(options), jobs: [stubborn], logger: silentLogger });
    const worker = client.work({ concurrency: 1 });
    await worker.ready;
    const { id } = await client.enqueue(stubborn, { n: 1 });
    await waitFor(() => started.callsFor(id).length === 1, { message: "the job to start" });

    server.stop("immediate");
    try {
      const stopping = Date.now();
      await worker.stop({ timeout: "1s" });
      const stopMs = Date.now() - stopping;
      expect(aborted).toBe(true);
      expect(stopMs).toBeGreaterThanOrEqual(950);
      expect(stopMs).toBeLessThan(1_000 + 1_500);
      const closing = Date.now();
      await client.close();
      const closeMs = Date.now() - closing;
      expect(closeMs).toBeLessThan(3_000);
      console.info(`server down: stop({ timeout: "1s" }) took ${stopMs} ms, close() ${closeMs} ms`);
    } finally {
      server.start();
    }

    // Its release could not be written: the lock waits for stalled-job recovery, and the job runs again.
    const rescuer = createSwitchyard({ backend: postgres(options), jobs: [stubborn], logger: silentLogger });
    try {
      const again = rescuer.work({ concurrency: 1 });
      await again.ready;
      await waitFor(() => started.callsFor(id).length === 2, {
        message: "the job to run again after stalledAfter",
        timeoutMs: 15_000,
      });
      expect(started.callsFor(id).map((call) => call.attempt)).toEqual([1, 2]);
      await again.stop();
    } finally {
      await rescuer.close();
    }
  });

  it("the README's worker process ends on SIGTERM while the server is down, promptly and with code 0", {
    timeout: 60_000,
  }, async () => {
    const child = startFixture("readme-worker.ts", { DATABASE_URL: server.url });
    try {
      await waitFor(() => child.lines.includes("READY") || child.process.exitCode !== null, {
        message: "the worker process to start",
        timeoutMs: 20_000,
      });
      expect(child.lines).toContain("READY");
      server.stop("fast");
      const signalled = Date.now();
      child.process.kill("SIGTERM");
      const exit = await Promise.race([child.exited, sleep(10_000).then(() => "still running" as const)]);
      const exitMs = Date.now() - signalled;
      expect(exit, child.stderr()).toEqual({ code: 0, signal: null });
      expect(exitMs).toBeLessThan(5_000);
      console.info(`server down: the worker process exited ${exitMs} ms after SIGTERM`);
    } finally {
      child.kill();
      server.start();
    }
  });
});
