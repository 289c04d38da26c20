import { createSwitchyard, defineJob, silentLogger } from "@switchyard/core";
import { waitFor } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { postgres } from "../src/index.js";
import { type RunningChild, startFixture } from "./child-process.js";
import { createTestDatabase } from "./test-database.js";

// A poison job: its handler blocks the event loop and its process is SIGKILLed (a liveness probe, the
// OOM killer), every time it runs. A crash counts an attempt, so the job must end failed after its
// maxAttempts (2), not run forever. Its worker has a local queue (the default): a job the queue fetched
// behind it and never started gets its attempt back at each crash, and runs once, as attempt 1. The
// poison job may get one attempt back too, when its process died before its start record was sent
// (started-jobs.ts), but never a second: it runs 2 or 3 times, its attempts never going down twice.

const SCHEMA = "poison";
const env = { SCHEMA, STALLED_AFTER: "1s" };

const pill = defineJob({
  name: "poison.pill",
  schema: z.object({}),
  retry: { maxAttempts: 2 },
  handler: () => {},
});
const bystander = defineJob({
  name: "poison.bystander",
  schema: z.object({}),
  retry: { maxAttempts: 1 },
  handler: () => {},
});

let database: Awaited<ReturnType<typeof createTestDatabase>>;
const children: RunningChild[] = [];

beforeAll(async () => {
  database = await createTestDatabase("poison");
  await postgres({ connectionString: database.url, schema: SCHEMA }).migrate();
});

afterAll(async () => {
  for (const child of children) child.kill();
  await database?.drop();
});

/** Starts a worker process (its job may block it before it could print that it is ready). */
function startWorker(): RunningChild {
  const child = startFixture("poison-worker.ts", { ...env, DATABASE_URL: database.url });
  children.push(child);
  return child;
}

describe("a job that blocks the event loop and gets its process SIGKILLed, every time", () => {
  it("uses up its attempts and ends failed; a job fetched behind it keeps its attempt", {
    timeout: 120_000,
  }, async () => {
    const jobs = createSwitchyard({
      backend: postgres({ connectionString: database.url, schema: SCHEMA }),
      jobs: [pill, bystander],
      logger: silentLogger,
    });
    try {
      const { id } = await jobs.enqueue(pill, {});
      const { id: behind } = await jobs.enqueue(bystander, {});
      // Each worker either runs the poison job (and is killed) or finds it failed by recovery.
      const attempts: number[] = [];
      let last: RunningChild | undefined;
      while (!last) {
        const child = startWorker();
        const seen = await waitFor(
          async () =>
            child.lines.find((printed) => printed.startsWith(`STARTED ${id} `)) ??
            ((await jobs.get(id))?.state === "failed" ? "FAILED" : undefined),
          {
            message: `a run of the poison job, or its failure (printed: ${child.lines.join(" | ")}; stderr: ${child.stderr()})`,
            timeoutMs: 30_000,
          },
        );
        if (seen === "FAILED") {
          last = child;
          break;
        }
        attempts.push(Number(seen.split(" ")[2]));
        expect(attempts.length, `the poison job ran as attempts ${attempts.join(", ")}`).toBeLessThanOrEqual(
          3,
        );
        child.kill();
        await child.exited;
      }
      // Its 2 attempts, one of them run twice at most: a run whose start record had not landed when
      // its process died got that attempt back, once.
      expect([
        [1, 2],
        [1, 1, 2],
        [1, 2, 2],
      ]).toContainEqual(attempts);
      await waitFor(() => last.lines.includes(`RAN ${behind} 1`), {
        message: `the job behind it to run as attempt 1 (printed: ${last.lines.join(" | ")})`,
        timeoutMs: 30_000,
      });
      expect(await jobs.get(id)).toMatchObject({
        state: "failed",
        attempts: 2,
        error: { code: "SWITCHYARD_STALLED" },
      });
      expect(last.lines.filter((line) => line.startsWith("STARTED"))).toEqual([]);
      // Its handler has returned; its completion is stored a moment later (batched completion).
      await waitFor(async () => (await jobs.get(behind))?.state === "completed", {
        message: "the job behind it to be recorded completed",
        timeoutMs: 30_000,
      });
      expect(await jobs.get(behind)).toMatchObject({ state: "completed", attempts: 1 });
    } finally {
      await jobs.close();
    }
  });
});
