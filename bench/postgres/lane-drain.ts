// How fast the PostgreSQL adapter drains jobs with a concurrency limit (lanes: graphile-worker named
// queues): ROUNDS drains of JOBS jobs of a job with `concurrency: LIMIT`, each on a fresh schema, at worker
// concurrency LIMIT + 2 (idle workers to wake), each handler waiting WORK_MS (0: a no-op). Prints jobs/s per
// drain. Adapter alone, from its sources (not dist/ as the suites of bench/run.ts): for an A/B of two
// versions, run it on each, alternately.
// `LIMIT=1 JOBS=1500 node --conditions=@switchyard/source --import tsx bench/postgres/lane-drain.ts`
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { postgres } from "@switchyard/adapter-postgres";
import { createSwitchyard, defineJob, silentLogger } from "@switchyard/core";
import { z } from "zod";

const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const JOBS = Number(process.env.JOBS ?? 3_000);
const LIMIT = Number(process.env.LIMIT ?? 8);
const WORK_MS = Number(process.env.WORK_MS ?? 0);
const ROUNDS = Number(process.env.ROUNDS ?? 5);

const pg = createRequire(import.meta.url)("pg") as {
  Client: new (
    url: string,
  ) => {
    connect(): Promise<void>;
    query(text: string): Promise<unknown>;
    end(): Promise<void>;
  };
};

/** One drain on a schema of its own; jobs/s from the worker's start to the last handler's end. */
async function drain(): Promise<number> {
  const schema = `bench_lanes_${randomBytes(3).toString("hex")}`;
  let done = 0;
  let allDone!: () => void;
  const finished = new Promise<void>((resolve) => {
    allDone = resolve;
  });
  const job = defineJob({
    name: "lane",
    schema: z.object({ n: z.number() }),
    concurrency: LIMIT,
    handler: async () => {
      if (WORK_MS > 0) await new Promise((resolve) => setTimeout(resolve, WORK_MS));
      if (++done === JOBS) allDone();
    },
  });
  const client = createSwitchyard({
    backend: postgres({ connectionString: DATABASE_URL, schema }),
    jobs: [job],
    logger: silentLogger,
  });
  await client.enqueueMany(
    job,
    Array.from({ length: JOBS }, (_, n) => ({ n })),
  );
  const start = performance.now();
  const worker = client.work({ concurrency: LIMIT + 2 });
  await finished;
  const ms = performance.now() - start;
  await worker.stop();
  await client.close();
  const admin = new pg.Client(DATABASE_URL);
  await admin.connect();
  await admin.query(`drop schema ${schema} cascade`);
  await admin.end();
  return (JOBS / ms) * 1000;
}

const rates: number[] = [];
for (let round = 0; round < ROUNDS; round++) rates.push(await drain());
const mean = rates.reduce((sum, rate) => sum + rate, 0) / rates.length;
console.log(
  `concurrency ${LIMIT}, ${JOBS} jobs, handler ${WORK_MS} ms: ${rates.map((rate) => rate.toFixed(0)).join(" ")} jobs/s (mean ${mean.toFixed(0)})`,
);
