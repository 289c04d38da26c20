import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createSwitchyard, defineJob, silentLogger } from "@switchyard/core";
import { Probe, waitFor } from "@switchyard/testkit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { postgres } from "../src/index.js";
import { createTestDatabase } from "./test-database.js";

// A worker process is killed with SIGKILL in the middle of a job. Its lock stays in the database
// (graphile-worker itself would free it only after 4 hours); the adapter's heartbeat recovery frees it
// once the dead pool has not heartbeated for `stalledAfter` (2 s here, 1 min by default), and another
// worker runs the job again as attempt 2.

const STALLED_AFTER_MS = 2_000;
const SCHEMA = "crash";
const fixture = fileURLToPath(new URL("./fixtures/crash-worker.ts", import.meta.url));

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let child: ChildProcess | undefined;

beforeAll(async () => {
  database = await createTestDatabase("crash");
  // Installed before any worker listens (graphile-worker's breaking-migration notices stop workers).
  await postgres({ connectionString: database.url, schema: SCHEMA }).migrate();
});

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await database?.drop();
});

/** Starts the worker process and resolves with the lines it prints, as they come. */
function startWorkerProcess(): { lines: string[]; process: ChildProcess } {
  const lines: string[] = [];
  const spawned = spawn(process.execPath, ["--conditions=@switchyard/source", "--import", "tsx", fixture], {
    env: { ...process.env, DATABASE_URL: database.url, SCHEMA, STALLED_AFTER: `${STALLED_AFTER_MS}ms` },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let buffer = "";
  spawned.stdout!.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split("\n");
    buffer = parts.pop()!;
    lines.push(...parts);
  });
  return { lines, process: spawned };
}

describe("crash of a worker process (SIGKILL)", () => {
  it("the job it was running is locked by the dead pool, then runs again elsewhere after stalledAfter", {
    timeout: 60_000,
  }, async () => {
    const probe = new Probe();
    const victim = defineJob({
      name: "crash.victim",
      schema: z.object({ n: z.number() }),
      retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "100ms" } },
      handler: (payload, ctx) => {
        probe.enter(payload, ctx)();
        return "recovered";
      },
    });
    const jobs = createSwitchyard({
      backend: postgres({
        connectionString: database.url,
        schema: SCHEMA,
        stalledAfter: `${STALLED_AFTER_MS}ms`,
      }),
      jobs: [victim],
      logger: silentLogger,
    });
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    try {
      const worker = startWorkerProcess();
      child = worker.process;
      await waitFor(() => worker.lines.includes("READY"), {
        message: "the worker process",
        timeoutMs: 20_000,
      });
      const { id } = await jobs.enqueue(victim, { n: 1 });
      await waitFor(() => worker.lines.includes(`STARTED ${id} 1`), { message: "attempt 1 in the child" });

      child.kill("SIGKILL");
      await new Promise((resolve) => child!.once("exit", resolve));
      const killedAt = Date.now();
      expect(child.signalCode).toBe("SIGKILL");

      // The dead process's lock is still there: the job is active, locked by a pool that no longer runs.
      const { rows } = await db.query(
        `select locked_by, attempts from "${SCHEMA}"._private_jobs where id = $1`,
        [id],
      );
      expect(rows[0]?.locked_by).toMatch(/^pool-/);
      expect(rows[0]?.attempts).toBe(1);
      expect((await jobs.get(id))?.state).toBe("active");

      // A new worker (here, in this process) picks it up once the dead pool's heartbeat is stale.
      const rescuer = jobs.work({ concurrency: 1 });
      await rescuer.ready;
      await waitFor(() => probe.callsFor(id).length === 1, {
        message: "the job to run again",
        timeoutMs: 30_000,
      });
      const rerunAfterMs = probe.calls[0]!.at - killedAt;
      console.info(
        `crash test: the job ran again ${rerunAfterMs} ms after SIGKILL (stalledAfter ${STALLED_AFTER_MS} ms)`,
      );
      // Heartbeats every stalledAfter/4: the dead pool is stale between ~0.75 and 1 stalledAfter after the
      // kill, and the next sweep (every stalledAfter/4) frees its jobs.
      expect(rerunAfterMs).toBeGreaterThanOrEqual(STALLED_AFTER_MS * 0.7);
      expect(rerunAfterMs).toBeLessThanOrEqual(STALLED_AFTER_MS * 1.5 + 1_500);
      expect(probe.calls[0]?.attempt).toBe(2);
      const done = await waitFor(async () => {
        const snapshot = await jobs.get(id);
        return snapshot?.state === "completed" && snapshot;
      });
      expect(done).toMatchObject({ attempts: 2, result: "recovered" });
      await rescuer.stop();
    } finally {
      await db.end();
      await jobs.close();
    }
  });
});
