import { createSwitchyard, defineJob, type Switchyard, silentLogger } from "@switchyard/core";
import { sleep, waitFor } from "@switchyard/testkit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { postgres } from "../src/index.js";
import { type RunningChild, startFixture } from "./child-process.js";
import { createTestDatabase } from "./test-database.js";

// Fault suite (a): a worker process is SIGKILLed again and again while it works through a backlog of
// 2,000 jobs that a producer keeps adding to. Nothing acknowledged may be lost: every job completes. A job
// may run twice: a job locked by the killed pool runs again once stalled-job recovery frees it. A pool
// holds at most its running attempts (CONCURRENCY) and the jobs whose completion it has not stored yet
// (graphile-worker fetches a worker's next job before the previous one's completion lands: at most
// CONCURRENCY more). So duplicates <= KILLS x 2 x CONCURRENCY; the count is reported (typically below
// KILLS x CONCURRENCY: 35 for 6 kills at concurrency 8). The pool also holds the jobs its local queue
// (on by default) locked ahead: they never ran, so recovery gives back the attempt graphile-worker counted
// for them. An attempt whose handler had started counts, even when the kill came before its side effect
// was stored: so a job's attempt number runs ahead of the runs stored only by the attempts in flight at a
// kill, at most CONCURRENCY a kill (without the give-back, hundreds of locked-ahead jobs would).

const SCHEMA = "kills";
const JOBS = 2_000;
const KILLS = 6;
const CONCURRENCY = 8;
/** Jobs a worker process runs before it is killed. */
const RUNS_BEFORE_KILL = 120;

const work = defineJob({ name: "load.work", schema: z.object({ n: z.number() }), handler: () => {} });

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: pg.Client;
let producer: Switchyard;
const children: RunningChild[] = [];

beforeAll(async () => {
  database = await createTestDatabase("kills");
  const backend = postgres({ connectionString: database.url, schema: SCHEMA });
  await backend.migrate();
  producer = createSwitchyard({ backend, jobs: [work], logger: silentLogger });
  db = new pg.Client({ connectionString: database.url });
  await db.connect();
  await db.query("create table load_runs (n int not null, attempt int not null, pid int not null)");
});

afterAll(async () => {
  for (const child of children) child.kill();
  await producer?.close();
  await db?.end();
  await database?.drop();
});

function startWorker(): RunningChild {
  const child = startFixture("load-worker.ts", {
    DATABASE_URL: database.url,
    SCHEMA,
    CONCURRENCY: String(CONCURRENCY),
  });
  children.push(child);
  return child;
}

async function ready(child: RunningChild): Promise<void> {
  await waitFor(() => child.lines.includes("READY") || child.process.exitCode !== null, {
    message: "a worker process to start",
    timeoutMs: 20_000,
  });
  if (child.process.exitCode !== null) throw new Error(`the worker exited:\n${child.stderr()}`);
}

const ran = (child: RunningChild) => child.lines.filter((line) => line.startsWith("RAN ")).length;

describe("fault suite: a worker process SIGKILLed repeatedly under load", () => {
  it(`${JOBS} jobs, ${KILLS} kills: none lost; each kill repeats at most the jobs its pool held`, {
    timeout: 90_000,
  }, async () => {
    const started = Date.now();
    // Half the backlog up front, the rest added while the workers are being killed.
    const half = Array.from({ length: JOBS / 2 }, (_, n) => ({ n }));
    const ids = (await producer.enqueueMany(work, half)).map((result) => result.id);
    const production = (async () => {
      for (let n = JOBS / 2; n < JOBS; n += 100) {
        const batch = Array.from({ length: 100 }, (_, index) => ({ n: n + index }));
        ids.push(...(await producer.enqueueMany(work, batch)).map((result) => result.id));
        await sleep(150);
      }
    })();

    let killedInFlight = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      const child = startWorker();
      await ready(child);
      await waitFor(() => ran(child) >= RUNS_BEFORE_KILL || child.process.exitCode !== null, {
        message: "the worker to run jobs before it is killed",
        timeoutMs: 20_000,
      });
      const { rows } = await db.query<{ n: number }>(
        `select count(*)::int as n from "${SCHEMA}"._private_jobs where locked_at is not null`,
      );
      killedInFlight += rows[0]!.n;
      child.process.kill("SIGKILL");
      expect((await child.exited).signal).toBe("SIGKILL");
    }
    await production;
    expect(ids).toHaveLength(JOBS);

    // A last worker finishes the backlog, the killed processes' jobs included once recovered.
    const last = startWorker();
    await ready(last);
    await waitFor(
      async () => {
        const { rows } = await db.query<{ n: number }>(
          `select count(*)::int as n from "${SCHEMA}".switchyard_finished where job_id = any($1::bigint[])`,
          [ids],
        );
        return rows[0]!.n === JOBS || last.process.exitCode !== null;
      },
      { message: "every job to complete", timeoutMs: 40_000, intervalMs: 250 },
    );
    last.process.kill("SIGTERM");
    expect(await last.exited).toEqual({ code: 0, signal: null });

    const { rows: left } = await db.query(`select id from "${SCHEMA}"._private_jobs`);
    expect(left, "no job left behind (waiting, locked or failed)").toEqual([]);
    const { rows: runs } = await db.query<{ n: number; runs: number }>(
      "select n, count(*)::int as runs from load_runs group by n",
    );
    const lost = JOBS - runs.length;
    const duplicates = runs.reduce((sum, row) => sum + row.runs - 1, 0);
    console.info(
      `kill under load: ${JOBS} jobs, ${KILLS} SIGKILLs (${killedInFlight} attempts in flight when killed): ` +
        `lost ${lost}, run twice or more ${duplicates}, in ${Date.now() - started} ms`,
    );
    expect(lost).toBe(0);
    expect(duplicates).toBeLessThanOrEqual(KILLS * 2 * CONCURRENCY);
    const { rows: countedAhead } = await db.query<{ n: number; ahead: number }>(
      "select n, max(attempt) - count(*)::int as ahead from load_runs group by n having max(attempt) > count(*)",
    );
    const ahead = countedAhead.reduce((sum, row) => sum + row.ahead, 0);
    expect(ahead, "attempts counted beyond the runs stored (killed in flight)").toBeLessThanOrEqual(
      KILLS * CONCURRENCY,
    );
  });
});
