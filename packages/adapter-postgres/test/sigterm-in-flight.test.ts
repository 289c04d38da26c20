import { createSwitchyard, defineJob, type Switchyard, silentLogger } from "@switchyard/core";
import { waitFor } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { postgres } from "../src/index.js";
import { type RunningChild, startFixture } from "./child-process.js";
import { createTestDatabase } from "./test-database.js";

// Fault suite (c): the README's SIGTERM handler (`worker.stop({ timeout: "25s" })`, then `jobs.close()`)
// in a worker process with jobs in flight: they finish and are stored as completed, the jobs still
// waiting are not touched (no attempt counted, still waiting), and the process exits 0.

const SCHEMA = "sigterm";
const slow = defineJob({ name: "sigterm.slow", schema: z.object({ n: z.number() }), handler: () => 0 });

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let producer: Switchyard;
let child: RunningChild | undefined;

beforeAll(async () => {
  database = await createTestDatabase("sigterm");
  const backend = postgres({ connectionString: database.url, schema: SCHEMA });
  await backend.migrate();
  producer = createSwitchyard({ backend, jobs: [slow], logger: silentLogger });
});

afterAll(async () => {
  child?.kill();
  await producer?.close();
  await database?.drop();
});

describe("fault suite: SIGTERM with jobs in flight", () => {
  it("the running jobs finish and complete, the waiting ones stay waiting untouched, exit code 0", {
    timeout: 60_000,
  }, async () => {
    child = startFixture("sigterm-worker.ts", { DATABASE_URL: database.url, SCHEMA });
    const worker = child;
    await waitFor(() => worker.lines.includes("READY") || worker.process.exitCode !== null, {
      message: "the worker process to start",
      timeoutMs: 20_000,
    });
    const ids = (
      await producer.enqueueMany(
        slow,
        Array.from({ length: 6 }, (_, n) => ({ n })),
      )
    ).map((result) => result.id);
    await waitFor(() => worker.lines.filter((line) => line.startsWith("STARTED ")).length === 2, {
      message: "two jobs in flight (concurrency 2)",
    });
    const inFlight = worker.lines
      .filter((line) => line.startsWith("STARTED "))
      .map((line) => Number(line.slice(8)));

    worker.process.kill("SIGTERM");
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    expect(
      worker.lines
        .filter((line) => line.startsWith("FINISHED "))
        .map((line) => Number(line.slice(9)))
        .sort(),
    ).toEqual([...inFlight].sort());
    expect(worker.lines.filter((line) => line.startsWith("STARTED "))).toHaveLength(2);

    for (const [n, id] of ids.entries()) {
      const snapshot = await producer.get(id);
      if (inFlight.includes(n)) {
        expect(snapshot, `job ${n} was in flight`).toMatchObject({
          state: "completed",
          attempts: 1,
          result: n,
        });
      } else {
        expect(snapshot, `job ${n} was waiting`).toMatchObject({ state: "waiting", attempts: 0 });
        expect(snapshot?.error).toBeUndefined();
      }
    }
  });
});
