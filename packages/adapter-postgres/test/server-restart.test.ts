import {
  BackendUnavailableError,
  createSwitchyard,
  defineJob,
  type Switchyard,
  silentLogger,
} from "@switchyard/core";
import { Probe, waitFor } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { postgres } from "../src/index.js";
import { HARNESS_OPTIONS } from "./postgres-harness.js";
import { startThrowawayPostgres } from "./throwaway-postgres.js";

// The database goes away and comes back, on a server of our own: enqueue fails with a typed error while
// it is down, and both the client and a running worker carry on once it is back.

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
});
