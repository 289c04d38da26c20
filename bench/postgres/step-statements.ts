// How many statements (database round trips) a durable step costs on the PostgreSQL adapter: every
// statement the worker's pool sends is counted, while it drains JOBS plain no-op jobs, then JOBS jobs of
// STEPS no-op steps each; (steps - plain) / (JOBS · STEPS) is the cost of one step. The LISTEN
// connection (notifications, heartbeats) is not on the pool and is not counted. Prints the statements
// by kind. `node --conditions=@switchyard/source --import tsx bench/postgres/step-statements.ts`
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { postgres } from "@switchyard/adapter-postgres";
import { createSwitchyard, defineJob, silentLogger } from "@switchyard/core";
import type { SharedOptions } from "graphile-worker";
import { z } from "zod";

const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const JOBS = 50;
const STEPS = 10;
const SCHEMA = `bench_stmt_${randomBytes(3).toString("hex")}`;

type Pool = NonNullable<SharedOptions["pgPool"]>;
type Client = { query: (...args: unknown[]) => Promise<unknown> };
const pg = createRequire(import.meta.url)("pg") as {
  Pool: new (config: { connectionString: string; max: number }) => Pool;
};

const counts = new Map<string, number>();
const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 10 });
pool.on("connect", (client) => {
  const query = (client as unknown as Client).query.bind(client);
  (client as unknown as Client).query = (config: unknown, ...rest: unknown[]) => {
    const text = typeof config === "string" ? config : (config as { text?: string }).text;
    const kind = (text ?? "?").replace(/\s+/g, " ").trim().slice(0, 70);
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
    return query(config, ...rest);
  };
});

async function drain(withSteps: boolean): Promise<Map<string, number>> {
  let done = 0;
  let finished!: () => void;
  const allDone = new Promise<void>((resolve) => {
    finished = resolve;
  });
  const job = defineJob({
    name: withSteps ? "stmt.steps" : "stmt.plain",
    schema: z.object({ n: z.number() }),
    handler: async (_payload, ctx) => {
      if (withSteps) for (let step = 0; step < STEPS; step++) await ctx.step.run(`s${step}`, () => step);
      if (++done === JOBS) finished();
    },
  });
  const jobs = createSwitchyard({
    backend: postgres({ pool, schema: SCHEMA, migrate: false }),
    jobs: [job],
    logger: silentLogger,
  });
  await jobs.enqueueMany(
    job,
    Array.from({ length: JOBS }, (_, n) => ({ n })),
  );
  const worker = jobs.work({ concurrency: 1 });
  await worker.ready;
  counts.clear();
  await allDone;
  // graphile-worker completes the last job after the handler returns: let that statement land.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const snapshot = new Map(counts);
  await worker.stop();
  await jobs.close();
  return snapshot;
}

const total = (counted: Map<string, number>) => [...counted.values()].reduce((a, b) => a + b, 0);

await postgres({ pool, schema: SCHEMA }).migrate();
try {
  const plain = await drain(false);
  const steps = await drain(true);
  for (const [name, counted] of [
    ["plain", plain],
    ["steps", steps],
  ] as const) {
    console.log(`\n${name}: ${total(counted)} statements for ${JOBS} jobs`);
    for (const [kind, n] of [...counted.entries()].sort((a, b) => b[1] - a[1]))
      console.log(`  ${n}\t${kind}`);
  }
  const perStep = (total(steps) - total(plain)) / (JOBS * STEPS);
  console.log(
    `\nper plain job: ${(total(plain) / JOBS).toFixed(2)}; per job of ${STEPS} steps: ${(total(steps) / JOBS).toFixed(2)}; per step: ${perStep.toFixed(3)} statements`,
  );
} finally {
  const client = await pool.connect();
  await client.query(`drop schema if exists "${SCHEMA}" cascade`);
  client.release();
  await pool.end();
}
