// Raw graphile-worker 0.17 vs @switchyard/adapter-postgres on the same PostgreSQL (DATABASE_URL, default the
// local server; the run makes a database of its own there), in the same process and run. Each side has its own schema (the adapter's
// has its triggers and tables; raw graphile-worker must not see them), both installed before anything is
// timed. Identical settings: a pg.Pool of POOL_SIZE connections each, pollInterval 2000, max_attempts 3
// (the adapter's default job), the same payload; the rows say which graphile-worker settings each side has
// (graphile-worker's defaults: no local queue or batching; batched: a local queue of 500 and batched
// completion, the adapter's defaults). Shapes after graphile-worker's perfTest: jobs added one by one, by
// 100 concurrent callers and in bulk, a pre-filled queue drained at concurrency 1 and 24, and closed-loop
// enqueue→start latency. Trials run in
// ABBA order (raw, adapter, adapter, raw, ...) so drift on a shared machine hits both sides alike. The
// c=24 drains (at both settings) also run raw graphile-worker on a third schema installed by the adapter,
// to show what its triggers alone cost. Last, bench/step-cost.ts: jobs of 10 no-op durable steps vs plain
// no-op jobs, per step, on the adapter alone (raw graphile-worker has no steps). `pnpm bench postgres` (built packages), or
// `node --conditions=@switchyard/source --import tsx bench/run.ts postgres` (sources); about 3 minutes.
import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import { postgres } from "@switchyard/adapter-postgres";
import { createSwitchyard, defineJob, type Switchyard, silentLogger } from "@switchyard/core";
import {
  Logger,
  makeWorkerUtils,
  type Runner,
  run,
  runMigrations,
  type SharedOptions,
  type WithPgClient,
  type WorkerEvents,
  type WorkerUtils,
} from "graphile-worker";
import { z } from "zod";
import { type BenchMeasurement, type BenchSuite, percentile } from "../bench-result.js";
import { abba, BenchSeries, trials } from "../bench-trials.js";
import { stepCost } from "../step-cost.js";

const SERVER_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
/**
 * The run's own database on that server (made at the start, dropped at the end): graphile-worker announces
 * breaking migrations database-wide (`worker:migrate`), and a raw graphile-worker runner that hears one
 * from another process installing a schema in a shared database shuts down and sets exit code 57.
 */
let DATABASE_URL = SERVER_URL;
const POOL_SIZE = 30;
const POLL_INTERVAL = 2_000;
const MAX_ATTEMPTS = 3;
const ADD_JOBS = 200;
const ADD_TRIALS = 4;
const BULK_JOBS = 3_000;
const BULK_SIZE = 1_000;
const BULK_TRIALS = 2;
const PROCESS_C1_JOBS = 400;
const PROCESS_C24_JOBS = 2_000;
/** The batched drains are ~10x faster: more jobs, so that a drain lasts about as long. */
const BATCHED_C24_JOBS = 20_000;
const PROCESS_TRIALS = 2;
/** Concurrent callers of the coalesced-enqueue row, each enqueuing one job at a time. */
const CONCURRENT_CALLERS = 100;
const CONCURRENT_JOBS = 3_000;
const LATENCY_SAMPLES = 80;
const LATENCY_WARMUP = 20;
const LATENCY_TRIALS = 2;
/** The step-cost row: jobs of 10 no-op steps vs as many plain no-op jobs as there are steps. */
const STEP_UNITS = 2_000;
const STEP_CONCURRENCY = 24;

const schema = z.object({ id: z.number().int(), to: z.string(), subject: z.string() });
type Payload = z.infer<typeof schema>;
const payloadOf = (id: number): Payload => ({ id, to: `user${id}@example.com`, subject: "Welcome aboard" });

const suffix = randomBytes(3).toString("hex");
const DATABASE = `switchyard_bench_${suffix}`;
const RAW_SCHEMA = `bench_raw_${suffix}`;
const SY_SCHEMA = `bench_sy_${suffix}`;
/** The adapter's schema worked by raw graphile-worker: what the adapter's triggers alone cost. */
const TRIGGER_SCHEMA = `bench_trg_${suffix}`;
/** The adapter's schema of the step-cost row (emptied before each of its drains). */
const STEP_SCHEMA = `bench_steps_${suffix}`;
const RAW_TASK = "raw.noop";
const SY_JOB = "sy.noop";
const silentGraphileLogger = new Logger(() => () => {});

/** graphile-worker's own defaults: no local queue, completion stored job by job. */
const GRAPHILE_DEFAULTS = { localQueue: { size: -1 }, completeJobBatchDelay: -1, failJobBatchDelay: -1 };
/** The adapter's defaults (batching-defaults.ts), given to raw graphile-worker for the equal-settings rows. */
const BATCHED = { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 };
type Settings = "defaults" | "batched";
const WORKER_SETTINGS: Record<Settings, GraphileConfig.WorkerOptions> = {
  defaults: GRAPHILE_DEFAULTS,
  batched: BATCHED,
};

// pg's types come with graphile-worker (bench/package.json has pg, not @types/pg).
type Pool = NonNullable<SharedOptions["pgPool"]>;
type PoolClient = Parameters<Parameters<WithPgClient>[0]>[0];
const pg = createRequire(import.meta.url)("pg") as {
  Pool: new (config: { connectionString: string; max: number }) => Pool;
};

function newPool(max = POOL_SIZE): Pool {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max });
  pool.on("error", () => {});
  pool.on("connect", (client: PoolClient) => client.on("error", () => {}));
  return pool;
}

/** Runs `body` on one connection of a short-lived pool. */
async function withClient(body: (client: PoolClient) => Promise<void>): Promise<void> {
  const pool = newPool(1);
  const client = await pool.connect();
  try {
    await body(client);
  } finally {
    client.release();
    await pool.end();
  }
}

/** Counts graphile-worker's job events: the same on both sides, whatever runs inside the task. */
class JobEvents {
  readonly emitter = new EventEmitter() as WorkerEvents;
  onStart: () => void = () => {};
  onSuccess: () => void = () => {};

  constructor() {
    this.emitter.on("job:start", () => this.onStart());
    this.emitter.on("job:success", () => this.onSuccess());
  }
}

/** Raw graphile-worker: WorkerUtils to add jobs, `run()` with a task list to process them. */
class Raw {
  readonly pool = newPool();
  readonly events = new JobEvents();
  readonly schema: string;
  #utils?: WorkerUtils;

  constructor(schema = RAW_SCHEMA) {
    this.schema = schema;
  }

  async utils(): Promise<WorkerUtils> {
    this.#utils ??= await makeWorkerUtils({
      pgPool: this.pool,
      schema: this.schema,
      logger: silentGraphileLogger,
    });
    return this.#utils;
  }

  add(id: number) {
    return this.#utils!.addJob(RAW_TASK, payloadOf(id), { maxAttempts: MAX_ATTEMPTS });
  }

  addMany(ids: number[]) {
    return this.#utils!.addJobs(
      ids.map((id) => ({ identifier: RAW_TASK, payload: payloadOf(id), maxAttempts: MAX_ATTEMPTS })),
    );
  }

  work(concurrency: number, settings: Settings = "defaults"): Promise<Runner> {
    return run({
      pgPool: this.pool,
      schema: this.schema,
      concurrency,
      preset: { worker: WORKER_SETTINGS[settings] },
      pollInterval: POLL_INTERVAL,
      noHandleSignals: true,
      logger: silentGraphileLogger,
      events: this.events.emitter,
      taskList: { [RAW_TASK]: async () => {} },
    });
  }

  async close(): Promise<void> {
    await this.#utils?.release();
    await this.pool.end();
  }
}

/**
 * The adapter: one no-op job with a zod schema, on its own pool of the same size; with its own defaults
 * ("batched"), or with graphile-worker's ("defaults").
 */
class Adapter {
  readonly pool = newPool();
  readonly events = new JobEvents();
  readonly job = defineJob({ name: SY_JOB, schema, handler: () => {} });
  readonly client: Switchyard;

  constructor(settings: Settings = "batched") {
    const worker = settings === "batched" ? {} : GRAPHILE_DEFAULTS;
    this.client = createSwitchyard({
      backend: postgres({
        pool: this.pool,
        schema: SY_SCHEMA,
        pollInterval: POLL_INTERVAL,
        migrate: false,
        graphilePreset: { worker: { ...worker, events: this.events.emitter } },
      }),
      jobs: [this.job],
      logger: silentLogger,
    });
  }

  add(id: number) {
    return this.client.enqueue(this.job, payloadOf(id));
  }

  addMany(ids: number[]) {
    return this.client.enqueueMany(this.job, ids.map(payloadOf));
  }

  async work(concurrency: number) {
    const worker = this.client.work({ concurrency });
    await worker.ready;
    return worker;
  }

  async close(): Promise<void> {
    await this.client.close();
    await this.pool.end();
  }
}

/** Empties every side's job table (and the adapter's records), so every trial starts alike. */
async function reset(): Promise<void> {
  await withClient(async (client) => {
    for (;;) {
      const { rows } = await client.query(
        `select (select count(*) from "${RAW_SCHEMA}"._private_jobs where locked_at is not null)
            + (select count(*) from "${SY_SCHEMA}"._private_jobs where locked_at is not null)
            + (select count(*) from "${TRIGGER_SCHEMA}"._private_jobs where locked_at is not null) as locked`,
      );
      if (Number(rows[0].locked) === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await client.query(
      `truncate "${RAW_SCHEMA}"._private_jobs, "${SY_SCHEMA}"._private_jobs, "${SY_SCHEMA}".switchyard_finished,
         "${SY_SCHEMA}".switchyard_job_state, "${TRIGGER_SCHEMA}"._private_jobs, "${TRIGGER_SCHEMA}".switchyard_finished`,
    );
    // Every side's table gets its statistics anew after the truncate, alike (autovacuum may be off).
    for (const schema of [RAW_SCHEMA, SY_SCHEMA, TRIGGER_SCHEMA]) {
      await client.query(`vacuum analyze "${schema}"._private_jobs`);
    }
  });
}

let nextId = 0;
const ids = (count: number) => Array.from({ length: count }, () => nextId++);

/** `jobs` enqueues by `callers` concurrent callers, each awaiting its enqueue before the next. */
async function concurrently(callers: number, jobs: number, enqueue: (id: number) => Promise<unknown>) {
  let left = jobs;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (left-- > 0) await enqueue(nextId++);
    }),
  );
}

type EnqueueFigures = Record<"add" | "concurrent" | "bulk", [number[], number[]]>;

/**
 * Enqueue throughput one by one, by CONCURRENT_CALLERS concurrent callers (the adapter merges their
 * enqueues into bulk writes; raw graphile-worker adds each job), and in bulk; both sides stay connected for
 * the round's trials.
 */
async function enqueueRound(): Promise<EnqueueFigures> {
  const raw = new Raw();
  const adapter = new Adapter();
  await raw.utils();
  await adapter.add(-1); // connects and prepares, as makeWorkerUtils does for raw
  await raw.add(-1);
  const bodies = {
    add: {
      raw: async () => {
        for (let i = 0; i < ADD_JOBS; i++) await raw.add(nextId++);
      },
      adapter: async () => {
        for (let i = 0; i < ADD_JOBS; i++) await adapter.add(nextId++);
      },
    },
    concurrent: {
      raw: () => concurrently(CONCURRENT_CALLERS, CONCURRENT_JOBS, (id) => raw.add(id)),
      adapter: () => concurrently(CONCURRENT_CALLERS, CONCURRENT_JOBS, (id) => adapter.add(id)),
    },
    bulk: {
      raw: async () => {
        for (let i = 0; i < BULK_JOBS; i += BULK_SIZE) await raw.addMany(ids(BULK_SIZE));
      },
      adapter: async () => {
        for (let i = 0; i < BULK_JOBS; i += BULK_SIZE) await adapter.addMany(ids(BULK_SIZE));
      },
    },
  };
  const result: EnqueueFigures = { add: [[], []], concurrent: [[], []], bulk: [[], []] };
  for (const [name, trials, jobs] of [
    ["add", ADD_TRIALS, ADD_JOBS],
    ["concurrent", ADD_TRIALS, CONCURRENT_JOBS],
    ["bulk", BULK_TRIALS, BULK_JOBS],
  ] as const) {
    for (const order of abba(trials)) {
      for (const side of order) {
        const started = performance.now();
        await bodies[name][side]();
        result[name][side === "raw" ? 0 : 1].push(jobs / ((performance.now() - started) / 1_000));
        await reset();
      }
    }
  }
  await raw.close();
  await adapter.close();
  return result;
}

/** Resolves with the time from the first job's start to the `jobs`-th job's success. */
function drainTimer(events: JobEvents, jobs: number): Promise<number> {
  let first = 0;
  let succeeded = 0;
  return new Promise((resolve) => {
    events.onStart = () => {
      if (first === 0) first = performance.now();
    };
    events.onSuccess = () => {
      if (++succeeded === jobs) resolve(performance.now() - first);
    };
  });
}

async function fill(side: Raw | Adapter, jobs: number): Promise<void> {
  for (let i = 0; i < jobs; i += BULK_SIZE) await side.addMany(ids(Math.min(BULK_SIZE, jobs - i)));
}

async function processRaw(
  concurrency: number,
  jobs: number,
  schema = RAW_SCHEMA,
  settings: Settings = "defaults",
): Promise<number> {
  const raw = new Raw(schema);
  await raw.utils();
  await fill(raw, jobs);
  const done = drainTimer(raw.events, jobs);
  const runner = await raw.work(concurrency, settings);
  const ms = await done;
  await runner.stop();
  await raw.close();
  return jobs / (ms / 1_000);
}

async function processAdapter(concurrency: number, jobs: number, settings: Settings): Promise<number> {
  const adapter = new Adapter(settings);
  await fill(adapter, jobs);
  const done = drainTimer(adapter.events, jobs);
  const worker = await adapter.work(concurrency);
  const ms = await done;
  await worker.stop();
  await adapter.close();
  return jobs / (ms / 1_000);
}

/** Closed loop on an idle worker of concurrency 1: enqueue, wait for the job to start and succeed, repeat. */
async function latencyLoop(events: JobEvents, enqueue: (id: number) => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES + LATENCY_WARMUP; i++) {
    let startedAt = 0;
    const started = new Promise<void>((resolve) => {
      events.onStart = () => {
        startedAt = performance.now();
        resolve();
      };
    });
    const succeeded = new Promise<void>((resolve) => {
      events.onSuccess = resolve;
    });
    const t0 = performance.now();
    await enqueue(nextId++);
    await started;
    if (i >= LATENCY_WARMUP) samples.push(startedAt - t0);
    await succeeded;
  }
  return samples;
}

async function latencyRaw(): Promise<number[]> {
  const raw = new Raw();
  await raw.utils();
  const runner = await raw.work(1);
  await new Promise((resolve) => setTimeout(resolve, 200)); // LISTEN is up
  const samples = await latencyLoop(raw.events, (id) => raw.add(id));
  await runner.stop();
  await raw.close();
  return samples;
}

async function latencyAdapter(): Promise<number[]> {
  const adapter = new Adapter("batched");
  const worker = await adapter.work(1);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const samples = await latencyLoop(adapter.events, (id) => adapter.add(id));
  await worker.stop();
  await adapter.close();
  return samples;
}

const C24_SIDES = ["raw", "adapter", "trigger", "rawBatched", "adapterBatched", "triggerBatched"] as const;
type C24Side = (typeof C24_SIDES)[number];

function drainC24(side: C24Side): Promise<number> {
  switch (side) {
    case "raw":
      return processRaw(24, PROCESS_C24_JOBS);
    case "trigger":
      return processRaw(24, PROCESS_C24_JOBS, TRIGGER_SCHEMA);
    case "adapter":
      return processAdapter(24, PROCESS_C24_JOBS, "defaults");
    case "rawBatched":
      return processRaw(24, BATCHED_C24_JOBS, RAW_SCHEMA, "batched");
    case "adapterBatched":
      return processAdapter(24, BATCHED_C24_JOBS, "batched");
    case "triggerBatched":
      return processRaw(24, BATCHED_C24_JOBS, TRIGGER_SCHEMA, "batched");
  }
}

/**
 * bench/step-cost.ts on the adapter: a step against a plain job, both on one pool of POOL_SIZE, each drain
 * on the emptied STEP_SCHEMA (no backlog of finished records from the previous drain).
 */
async function stepCostRow(rounds: number): Promise<BenchMeasurement> {
  const pool = newPool();
  try {
    return await stepCost(
      async () => {
        await withClient(async (client) => {
          await client.query(
            `truncate "${STEP_SCHEMA}"._private_jobs, "${STEP_SCHEMA}".switchyard_finished,
               "${STEP_SCHEMA}".switchyard_job_state, "${STEP_SCHEMA}".switchyard_steps`,
          );
        });
        return postgres({ pool, schema: STEP_SCHEMA, pollInterval: POLL_INTERVAL, migrate: false });
      },
      { rounds, units: STEP_UNITS, concurrency: STEP_CONCURRENCY },
    );
  } finally {
    await pool.end();
  }
}

/** Runs `statement` on the server's database (DATABASE_URL as given). */
async function onServer(statement: string): Promise<void> {
  const pool = new pg.Pool({ connectionString: SERVER_URL, max: 1 });
  pool.on("error", () => {});
  try {
    const client = await pool.connect();
    await client.query(statement).finally(() => client.release());
  } finally {
    await pool.end();
  }
}

async function installSchemas(): Promise<void> {
  await onServer(`create database "${DATABASE}"`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${DATABASE}`;
  DATABASE_URL = url.toString();
  const pool = newPool();
  await runMigrations({ pgPool: pool, schema: RAW_SCHEMA, logger: silentGraphileLogger });
  await postgres({ pool, schema: SY_SCHEMA }).migrate();
  await postgres({ pool, schema: TRIGGER_SCHEMA }).migrate();
  await postgres({ pool, schema: STEP_SCHEMA }).migrate();
  await pool.end();
}

async function dropSchemas(): Promise<void> {
  await onServer(`drop database if exists "${DATABASE}" with (force)`);
}

const postgresBench: BenchSuite = async ({ rounds }) => {
  await installSchemas();
  try {
    const series = new BenchSeries();
    const record = (name: string, figures: [number[], number[]]) => series.record(name, figures);
    // One untimed pass, so both sides run JIT-compiled code when measured.
    await trials(
      1,
      () => processRaw(8, 500),
      () => processAdapter(8, 500, "batched"),
      reset,
    );
    await enqueueRound();

    for (let round = 0; round < rounds; round++) {
      const enqueue = await enqueueRound();
      record("addJob one by one", enqueue.add);
      record(
        `enqueue by ${CONCURRENT_CALLERS} concurrent callers (raw: addJob each; adapter: merged)`,
        enqueue.concurrent,
      );
      record(`addJobs bulk (${BULK_SIZE} a call)`, enqueue.bulk);
      record(
        "process c=1, graphile-worker's defaults on both",
        await trials(
          PROCESS_TRIALS,
          () => processRaw(1, PROCESS_C1_JOBS),
          () => processAdapter(1, PROCESS_C1_JOBS, "defaults"),
          reset,
        ),
      );
      // c=24 also runs raw graphile-worker on a schema the adapter installed: its ratio to raw is what the
      // adapter's triggers cost (its completion record, mainly); the rest is the adapter's work in Node.
      // Then the same three with the adapter's batching defaults (a local queue, batched completion).
      const c24: Record<C24Side, number[]> = {
        raw: [],
        adapter: [],
        trigger: [],
        rawBatched: [],
        adapterBatched: [],
        triggerBatched: [],
      };
      // Rotated each trial, so that no side always runs first.
      for (const shift of [(2 * round) % C24_SIDES.length, (2 * round + 1) % C24_SIDES.length]) {
        const order = [...C24_SIDES.slice(shift), ...C24_SIDES.slice(0, shift)];
        for (const side of order) {
          c24[side].push(await drainC24(side));
          await reset();
        }
      }
      record("process c=24, graphile-worker's defaults on both", [c24.raw, c24.adapter]);
      record("process c=24: raw graphile-worker on the adapter's schema (its triggers' share of the gap)", [
        c24.raw,
        c24.trigger,
      ]);
      record("process c=24, batched on both (local queue 500, batched completion)", [
        c24.rawBatched,
        c24.adapterBatched,
      ]);
      record("process c=24, batched: raw graphile-worker on the adapter's schema (its triggers' share)", [
        c24.rawBatched,
        c24.triggerBatched,
      ]);
      record("process c=24, out of the box: adapter's defaults vs raw graphile-worker's defaults", [
        c24.raw,
        c24.adapterBatched,
      ]);
      const [rawLatency, adapterLatency] = await trials(LATENCY_TRIALS, latencyRaw, latencyAdapter, reset);
      for (const p of [50, 95, 99]) {
        record(`enqueue→start latency p${p} (adapter's defaults vs raw graphile-worker's)`, [
          rawLatency.map((samples) => percentile(samples, p)),
          adapterLatency.map((samples) => percentile(samples, p)),
        ]);
      }
      console.log(`round ${round + 1}/${rounds} done`);
    }

    return [...series.measurements((name) => name.includes("latency")), await stepCostRow(rounds)];
  } finally {
    await dropSchemas();
  }
};

export default postgresBench;
