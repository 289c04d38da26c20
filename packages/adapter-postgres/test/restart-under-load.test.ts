import {
  BackendUnavailableError,
  createSwitchyard,
  defineJob,
  type Switchyard,
  silentLogger,
} from "@switchyard/core";
import { sleep, waitFor } from "@switchyard/testkit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { postgres } from "../src/index.js";
import { type RunningChild, startFixture } from "./child-process.js";
import { startThrowawayPostgres } from "./throwaway-postgres.js";

// A worker process keeps running jobs while its PostgreSQL server is restarted again and again
// (`pg_ctl restart -m immediate` and `-m fast`), with jobs being enqueued and completed (or failed, to
// be retried) at that moment. The same process must go on, and every acknowledged enqueue must complete.
// The producer retries a failed enqueue with the same idempotency key, as the README advises, so an
// enqueue whose outcome was unknown is acknowledged once, whatever happened to the first try.

const SCHEMA = "restarts";
const RESTARTS: ReadonlyArray<"immediate" | "fast"> = [
  "immediate",
  "fast",
  "immediate",
  "fast",
  "immediate",
  "fast",
  "immediate",
  "fast",
];

const work = defineJob({ name: "restart.work", schema: z.object({ n: z.number() }), handler: () => {} });

let server: Awaited<ReturnType<typeof startThrowawayPostgres>>;
let producer: Switchyard;
let child: RunningChild | undefined;

beforeAll(async () => {
  server = await startThrowawayPostgres();
  const backend = postgres({ connectionString: server.url, schema: SCHEMA, connectionTimeoutMillis: 2_000 });
  await backend.migrate();
  producer = createSwitchyard({ backend, jobs: [work], logger: silentLogger });
}, 60_000);

afterAll(async () => {
  child?.kill();
  await producer?.close().catch(() => {});
  server?.destroy();
});

/** Enqueues job `n` until it is acknowledged, retrying with the same idempotency key. */
async function enqueueUntilAcknowledged(n: number, unknownOutcomes: number[]): Promise<string> {
  for (;;) {
    try {
      return (await producer.enqueue(work, { n }, { idempotencyKey: `job-${n}` })).id;
    } catch (error) {
      if (!(error instanceof BackendUnavailableError)) throw error;
      if (error.stored === "unknown") unknownOutcomes.push(n);
      await sleep(50);
    }
  }
}

async function runRestartsUnderLoad(): Promise<void> {
  const worker = startFixture("restart-worker.ts", { DATABASE_URL: server.url, SCHEMA });
  child = worker;
  try {
    await restartsUnderLoad(worker);
  } catch (error) {
    (error as Error).message += `\nworker stderr (end):\n${worker.stderr().slice(-6_000)}`;
    throw error;
  }
}

async function restartsUnderLoad(worker: RunningChild): Promise<void> {
  await waitFor(() => worker.lines.includes("READY") || worker.process.exitCode !== null, {
    message: "the worker process to start",
    timeoutMs: 20_000,
  });
  expect(worker.process.exitCode).toBeNull();

  const acknowledged = new Map<number, string>();
  const unknownOutcomes: number[] = [];
  let producing = true;
  let next = 0;
  const production = (async () => {
    while (producing) {
      const n = ++next;
      acknowledged.set(n, await enqueueUntilAcknowledged(n, unknownOutcomes));
    }
  })();
  const ran = () => worker.lines.filter((line) => line.startsWith("RAN ")).length;
  try {
    for (const mode of RESTARTS) {
      // Jobs are running and completing when the server goes away.
      const before = ran();
      await waitFor(() => ran() >= before + 20 || worker.process.exitCode !== null, {
        message: "jobs to run between restarts",
        timeoutMs: 15_000,
      });
      expect(worker.process.exitCode).toBeNull();
      await server.restart(mode);
    }
    const after = ran();
    await waitFor(() => ran() >= after + 20 || worker.process.exitCode !== null, {
      message: "jobs to run after the last restart",
      timeoutMs: 15_000,
    });
    expect(worker.process.exitCode).toBeNull();
  } finally {
    producing = false;
    await production;
  }

  // Every acknowledged job completes (or, for those failing their first attempt, completes on a retry).
  const db = new pg.Client({ connectionString: server.url });
  await db.connect();
  try {
    const ids = [...acknowledged.values()];
    await waitFor(
      async () => {
        const { rows } = await db.query<{ n: number }>(
          `select count(*)::int as n from "${SCHEMA}".switchyard_finished where job_id = any($1::bigint[])`,
          [ids],
        );
        return rows[0]!.n === ids.length || worker.process.exitCode !== null;
      },
      { message: "every acknowledged job to complete", timeoutMs: 20_000, intervalMs: 200 },
    );
    expect(worker.process.exitCode).toBeNull();
    const { rows: unfinished } = await db.query<{ id: string }>(
      `select unnest($1::bigint[])::text as id except select job_id::text from "${SCHEMA}".switchyard_finished`,
      [ids],
    );
    expect(unfinished).toEqual([]);
  } finally {
    await db.end();
  }

  const runs = new Map<string, number>();
  for (const line of worker.lines.filter((entry) => entry.startsWith("RAN "))) {
    runs.set(line, (runs.get(line) ?? 0) + 1);
  }
  const duplicates = [...runs].filter(([, count]) => count > 1).map(([line]) => line.slice(4));
  console.info(
    `restarts under load: ${acknowledged.size} jobs acknowledged and completed through ` +
      `${RESTARTS.length} restarts; ${unknownOutcomes.length} enqueue(s) failed with stored "unknown" and were retried ` +
      `with their key; attempts run twice: ${duplicates.length === 0 ? "none" : duplicates.join(", ")}`,
  );

  // The README's SIGTERM handler still ends the same process cleanly.
  worker.process.kill("SIGTERM");
  const exit = await Promise.race([worker.exited, sleep(15_000).then(() => "still running" as const)]);
  expect(exit).toEqual({ code: 0, signal: null });
}

describe("PostgreSQL restarts while a worker process runs jobs", () => {
  it("the same process goes on through restarts (immediate and fast), and every acknowledged job completes", {
    timeout: 60_000,
    retry: 0,
  }, async () => {
    await runRestartsUnderLoad();
  });
});
