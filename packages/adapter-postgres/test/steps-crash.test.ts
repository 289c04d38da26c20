import { createSwitchyard, defineJob, silentLogger } from "@switchyard/core";
import { waitFor } from "@switchyard/testkit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { postgres } from "../src/index.js";
import { type RunningChild, startFixture } from "./child-process.js";
import { createTestDatabase } from "./test-database.js";

// Durable steps across a real process death: a worker process is SIGKILLed between step 2 and step 3 of
// a job. After stalledAfter, a worker in another process runs the job again (attempt 2): steps 1 and 2
// return their stored results without running, step 3 runs. The steps' side effects are rows written by
// the step functions themselves, so they are counted whichever process ran them.

const STALLED_AFTER_MS = 2_000;
const SCHEMA = "steps_crash";

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: pg.Client;
const children: RunningChild[] = [];

beforeAll(async () => {
  database = await createTestDatabase("stepscrash");
  // Installed before any worker listens (graphile-worker's breaking-migration notices stop workers).
  await postgres({ connectionString: database.url, schema: SCHEMA }).migrate();
  db = new pg.Client({ connectionString: database.url });
  await db.connect();
  await db.query("create table step_effects (job_id bigint not null, step text not null)");
});

afterAll(async () => {
  for (const child of children) child.kill();
  await db?.end();
  await database?.drop();
});

function startWorker(hangAfterTwo: boolean): RunningChild {
  const child = startFixture("steps-crash-worker.ts", {
    DATABASE_URL: database.url,
    SCHEMA,
    STALLED_AFTER: `${STALLED_AFTER_MS}ms`,
    HANG_AFTER_TWO: hangAfterTwo ? "1" : "0",
  });
  children.push(child);
  return child;
}

async function effectsOf(id: string): Promise<Record<string, number>> {
  const { rows } = await db.query(
    "select step, count(*)::int as n from step_effects where job_id = $1 group by step",
    [id],
  );
  return Object.fromEntries(rows.map((row) => [row.step, row.n]));
}

describe("durable steps across a SIGKILL", () => {
  it("a worker killed between step 2 and 3 resumes at step 3 in a new process; steps 1-2 ran once", {
    timeout: 60_000,
  }, async () => {
    // The producer: the job's definition without its handler's work (only enqueue and get are used here).
    const order = defineJob({
      name: "steps.order",
      schema: z.object({ orderId: z.string() }),
      retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "100ms" } },
      handler: () => {},
    });
    const jobs = createSwitchyard({
      backend: postgres({ connectionString: database.url, schema: SCHEMA }),
      jobs: [order],
      logger: silentLogger,
    });
    try {
      const first = startWorker(true);
      await waitFor(() => first.lines.includes("READY"), { message: "worker process 1", timeoutMs: 20_000 });
      const { id } = await jobs.enqueue(order, { orderId: "A-1" });
      await waitFor(() => first.lines.includes(`AFTER-TWO ${id}`), { message: "steps one and two" });

      first.process.kill("SIGKILL");
      expect((await first.exited).signal).toBe("SIGKILL");
      const killedAt = Date.now();
      expect(await effectsOf(id)).toEqual({ one: 1, two: 1 });
      const { rows: stored } = await db.query(
        `select step_id from "${SCHEMA}".switchyard_steps where job_id = $1 order by position`,
        [id],
      );
      expect(stored.map((row) => row.step_id)).toEqual(["one", "two"]);
      expect((await jobs.get(id))?.state).toBe("active"); // still locked by the dead process

      const second = startWorker(false);
      const done = await waitFor(
        async () => {
          const snapshot = await jobs.get(id);
          return snapshot?.state === "completed" && snapshot;
        },
        { message: "the job to complete in worker process 2", timeoutMs: 30_000 },
      );
      const resumedAfterMs = Date.now() - killedAt;
      console.info(
        `steps crash test: completed ${resumedAfterMs} ms after SIGKILL (stalledAfter ${STALLED_AFTER_MS} ms)`,
      );
      expect(resumedAfterMs).toBeGreaterThanOrEqual(STALLED_AFTER_MS * 0.7);
      expect(second.lines).toContain(`STARTED ${id} 2`);
      expect(second.lines).not.toContain(`STEP one ${id}`);
      expect(second.lines).not.toContain(`STEP two ${id}`);
      expect(second.lines).toContain(`STEP three ${id}`);
      expect(done).toMatchObject({
        attempts: 2,
        result: ["one done", "two done", "three done"],
        steps: ["one", "two", "three"],
      });
      expect(await effectsOf(id)).toEqual({ one: 1, two: 1, three: 1 });
      second.process.kill("SIGTERM");
    } finally {
      await jobs.close();
    }
  });
});
