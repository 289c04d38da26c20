// BullMQ on PostgreSQL, three ways on the same server (DATABASE_URL, default the local server, database
// `test`), in the same process and run: raw BullMQ 6 on its PostgreSQL backend (`withBackend(
// createPostgresBackend)`, a connection config { connectionString, schema, migrate: true } per Queue and
// Worker, as its docs show), @switchyard/adapter-bullmq with `bullmq({ postgres })`, and
// @switchyard/adapter-postgres (graphile-worker) for the other PostgreSQL route. Each has its own
// schema, installed before anything is timed. BullMQ sides: the same job options ({ attempts: 3,
// backoff: { type: "switchyard" } }) and worker options; adapter-postgres: its defaults (max_attempts 3,
// LISTEN/NOTIFY wake-ups, pool of 10 like the others). Shapes as bench/bullmq: jobs added one by one
// and in bulk, a pre-filled queue drained at concurrency 1 and 50, closed-loop enqueue→start latency.
// Trials rotate the three sides' order so drift on a shared machine hits all alike. Results: each
// measurement twice, raw BullMQ-on-PostgreSQL against the adapter (`<name>`), and against
// adapter-postgres (`<name> · adapter-postgres`). `BENCH_ROUNDS=2 node --conditions=@switchyard/source
// --import tsx bench/run.ts bullmq-postgres` (sources), or `pnpm bench bullmq-postgres` (built).

import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import { type BullmqPostgresWorker, bullmq } from "@switchyard/adapter-bullmq";
import { postgres } from "@switchyard/adapter-postgres";
import { createSwitchyard, defineJob, type Switchyard, silentLogger } from "@switchyard/core";
import { createPostgresBackend, type JobsOptions, withBackend } from "bullmq";
import type { WorkerEvents } from "graphile-worker";
import { z } from "zod";
import { type BenchSuite, percentile } from "../bench-result.js";
import { BenchSeries } from "../bench-trials.js";

const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const POOL_SIZE = 10;
const ADD_JOBS = 200;
const BULK_JOBS = 2_000;
const BULK_SIZE = 500;
const PROCESS_C1_JOBS = 300;
const PROCESS_C50_JOBS = 1_000;
const LATENCY_SAMPLES = 60;
const LATENCY_WARMUP = 10;
/** Trials of each side per round; the order of the three sides rotates from trial to trial. */
const TRIALS = 3;

const schema = z.object({ id: z.number().int(), to: z.string(), subject: z.string() });
type Payload = z.infer<typeof schema>;
const payloadOf = (id: number): Payload => ({ id, to: `user${id}@example.com`, subject: "Welcome aboard" });

const suffix = randomBytes(3).toString("hex");
const RAW_SCHEMA = `bench_bmq_raw_${suffix}`;
const SY_SCHEMA = `bench_bmq_sy_${suffix}`;
const GW_SCHEMA = `bench_gw_${suffix}`;
const JOB_OPTIONS: JobsOptions = { attempts: 3, backoff: { type: "switchyard" } };
const { Queue, Worker } = withBackend(createPostgresBackend);
const rawConnection = { connectionString: DATABASE_URL, schema: RAW_SCHEMA, migrate: true, max: POOL_SIZE };

let sequence = 0;
const freshName = (side: string) => `${side}-${String(++sequence).padStart(5, "0")}`;

type SideName = "raw" | "bullmq" | "postgres";
const SIDES: SideName[] = ["raw", "bullmq", "postgres"];

/** What a benchmark needs of one side: enqueue one, enqueue many, run a worker that reports starts and completions. */
interface Side {
  add(id: number): Promise<unknown>;
  addMany(ids: number[]): Promise<unknown>;
  /** Starts a worker; `onStart` runs in each handler, `onCompleted` once each job's completion is stored. */
  work(concurrency: number, onStart: () => void, onCompleted: () => void): Promise<{ stop(): Promise<void> }>;
  close(): Promise<void>;
}

function rawSide(): Side {
  const name = freshName("raw");
  const queue = new Queue(name, { connection: rawConnection });
  return {
    add: (id) => queue.add(name, payloadOf(id), JOB_OPTIONS),
    addMany: (ids) => queue.addBulk(ids.map((id) => ({ name, data: payloadOf(id), opts: JOB_OPTIONS }))),
    async work(concurrency, onStart, onCompleted) {
      const worker = new Worker(
        name,
        async () => {
          onStart();
        },
        {
          connection: rawConnection,
          concurrency,
          lockDuration: 30_000,
          stalledInterval: 30_000,
          maxStalledCount: 3,
          settings: { backoffStrategy: () => 1_000 },
        },
      );
      worker.on("completed", onCompleted);
      await worker.waitUntilReady();
      return { stop: () => worker.close() };
    },
    close: () => queue.close(),
  };
}

function bullmqSide(): Side {
  let onStart = () => {};
  const job = defineJob({
    name: freshName("sy"),
    schema,
    handler: async () => {
      onStart();
    },
  });
  const client = createSwitchyard({
    backend: bullmq({
      postgres: { connectionString: DATABASE_URL, schema: SY_SCHEMA, maxConnections: POOL_SIZE },
    }),
    jobs: [job],
    logger: silentLogger,
  });
  return {
    add: (id) => client.enqueue(job, payloadOf(id)),
    addMany: (ids) => client.enqueueMany(job, ids.map(payloadOf)),
    async work(concurrency, started, completed) {
      onStart = started;
      const worker = client.work({ concurrency }) as BullmqPostgresWorker;
      for (const bullWorker of worker.workers) bullWorker.on("completed", completed);
      await worker.ready;
      return worker;
    },
    close: () => client.close(),
  };
}

function postgresSide(): Side {
  let onStart = () => {};
  const events = new EventEmitter() as WorkerEvents;
  const job = defineJob({
    name: freshName("gw"),
    schema,
    handler: async () => {
      onStart();
    },
  });
  const client: Switchyard = createSwitchyard({
    backend: postgres({
      connectionString: DATABASE_URL,
      schema: GW_SCHEMA,
      maxPoolSize: POOL_SIZE,
      graphilePreset: { worker: { events } },
    }),
    jobs: [job],
    logger: silentLogger,
  });
  return {
    add: (id) => client.enqueue(job, payloadOf(id)),
    addMany: (ids) => client.enqueueMany(job, ids.map(payloadOf)),
    async work(concurrency, started, completed) {
      onStart = started;
      events.on("job:success", completed);
      const worker = client.work({ concurrency });
      await worker.ready;
      return worker;
    },
    close: () => client.close(),
  };
}

const makeSide: Record<SideName, () => Side> = { raw: rawSide, bullmq: bullmqSide, postgres: postgresSide };

/** The three sides in a rotating order: trial 0 raw first, trial 1 bullmq first, ... */
function rotation(trial: number): SideName[] {
  return SIDES.map((_, i) => SIDES[(i + trial) % SIDES.length]!);
}

async function enqueueThroughput(side: Side, bulk: boolean): Promise<number> {
  await side.add(-1); // connects (and installs the schema on first use), untimed
  const started = performance.now();
  if (bulk) {
    for (let i = 0; i < BULK_JOBS; i += BULK_SIZE) {
      await side.addMany(Array.from({ length: BULK_SIZE }, (_, k) => i + k));
    }
  } else {
    for (let i = 0; i < ADD_JOBS; i++) await side.add(i);
  }
  return (bulk ? BULK_JOBS : ADD_JOBS) / ((performance.now() - started) / 1_000);
}

/** A pre-filled queue drained at `concurrency`: jobs/s from the first start to the last stored completion. */
async function drain(side: Side, concurrency: number, jobs: number): Promise<number> {
  for (let i = 0; i < jobs; i += BULK_SIZE) {
    await side.addMany(Array.from({ length: Math.min(BULK_SIZE, jobs - i) }, (_, k) => i + k));
  }
  let first = 0;
  let completed = 0;
  let resolve!: (perSecond: number) => void;
  const done = new Promise<number>((r) => {
    resolve = r;
  });
  const worker = await side.work(
    concurrency,
    () => {
      if (first === 0) first = performance.now();
    },
    () => {
      if (++completed === jobs) resolve(jobs / ((performance.now() - first) / 1_000));
    },
  );
  const perSecond = await done;
  await worker.stop();
  return perSecond;
}

/** Closed loop at concurrency 1: enqueue, wait for the handler to start and the job to complete, repeat. */
async function latency(side: Side): Promise<number[]> {
  let onStart = () => {};
  let onDone = () => {};
  const worker = await side.work(
    1,
    () => onStart(),
    () => onDone(),
  );
  const samples: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES + LATENCY_WARMUP; i++) {
    let startedAt = 0;
    const started = new Promise<void>((r) => {
      onStart = () => {
        startedAt = performance.now();
        r();
      };
    });
    const done = new Promise<void>((r) => {
      onDone = r;
    });
    const t0 = performance.now();
    await side.add(i);
    await started;
    if (i >= LATENCY_WARMUP) samples.push(startedAt - t0);
    await done;
  }
  await worker.stop();
  return samples;
}

/** Runs `measure` on a fresh side of each kind, TRIALS times in rotating order; figures by side. */
async function threeWays<T>(measure: (side: Side) => Promise<T>): Promise<Record<SideName, T[]>> {
  const figures: Record<SideName, T[]> = { raw: [], bullmq: [], postgres: [] };
  for (let trial = 0; trial < TRIALS; trial++) {
    for (const name of rotation(trial)) {
      const side = makeSide[name]();
      try {
        figures[name].push(await measure(side));
      } finally {
        await side.close();
      }
    }
  }
  return figures;
}

async function dropSchemas(): Promise<void> {
  const pg = createRequire(import.meta.url)("pg") as {
    Client: new (config: {
      connectionString: string;
    }) => {
      connect(): Promise<void>;
      query(sql: string): Promise<unknown>;
      end(): Promise<void>;
    };
  };
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    for (const name of [RAW_SCHEMA, SY_SCHEMA, GW_SCHEMA])
      await client.query(`drop schema if exists "${name}" cascade`);
  } finally {
    await client.end();
  }
}

const bullmqPostgresBench: BenchSuite = async ({ rounds }) => {
  const series = new BenchSeries();
  const record = (name: string, figures: Record<SideName, number[]>) => {
    series.record(name, [figures.raw, figures.bullmq]);
    series.record(`${name} · adapter-postgres`, [figures.raw, figures.postgres]);
  };
  try {
    // Installs the three schemas and warms the JIT, untimed.
    await threeWays((side) => drain(side, 10, 200));
    for (let round = 0; round < rounds; round++) {
      record("add one by one", await threeWays((side) => enqueueThroughput(side, false)));
      record("addBulk", await threeWays((side) => enqueueThroughput(side, true)));
      record("process c=1", await threeWays((side) => drain(side, 1, PROCESS_C1_JOBS)));
      record("process c=50", await threeWays((side) => drain(side, 50, PROCESS_C50_JOBS)));
      const samples = await threeWays(latency);
      for (const p of [50, 95]) {
        record(`latency p${p}`, {
          raw: samples.raw.map((s) => percentile(s, p)),
          bullmq: samples.bullmq.map((s) => percentile(s, p)),
          postgres: samples.postgres.map((s) => percentile(s, p)),
        });
      }
      console.log(`round ${round + 1}/${rounds} done`);
    }
  } finally {
    await dropSchemas();
  }
  return series.measurements((name) => name.startsWith("latency"));
};

export default bullmqPostgresBench;
