// Raw BullMQ vs @switchyard/adapter-bullmq on the same Redis (REDIS_URL, default the local server), in
// the same process and run, with identical BullMQ options: job options { attempts: 3, backoff: { type:
// "switchyard" } } (what the adapter stores for a default job) and worker options (concurrency,
// lockDuration 30 s, stalledInterval 30 s, maxStalledCount 3, a backoff strategy). Connections are each
// side's own: ioredis defaults for raw, the adapter's for the adapter. Shapes after
// taskforcesh/bullmq-bench: queue-add (one by one, and by 100 concurrent callers, each adding one job at a
// time), add-bulk, worker-generic (pre-filled queue,
// concurrency 1) and worker-concurrent (50), plus enqueue→start latency at concurrency 1 (closed loop),
// and the cost of a durable step next to a plain job (bench/step-cost.ts, adapter only).
// Every measurement runs as raw/adapter trials in ABBA order within each round; the figures are
// medians over all trials ("rounds" in the results counts them). Garbage is collected before each
// timed trial, so neither side pays for the other's (or its own setup's) garbage.
import { randomBytes } from "node:crypto";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { type BullmqWorker, bullmq } from "@switchyard/adapter-bullmq";
import { createSwitchyard, defineJob, type Switchyard, silentLogger } from "@switchyard/core";
import { type JobsOptions, Queue, Worker, type WorkerOptions } from "bullmq";
import { Redis } from "ioredis";
import { z } from "zod";
import { type BenchSuite, percentile } from "../bench-result.js";
import { abba, BenchSeries, type Side, trials } from "../bench-trials.js";
import { stepCost } from "../step-cost.js";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
// Jobs per trial and trials per round (ABBA order: raw, adapter, adapter, raw, ... so that drift on a
// shared machine hits both sides alike).
const ADD_JOBS = 400;
const ADD_TRIALS = 4;
/** Concurrent callers of the coalesced-enqueue row, each enqueuing one job at a time. */
const CONCURRENT_CALLERS = 100;
const CONCURRENT_JOBS = 4_000;
const BULK_JOBS = 3_000;
const BULK_SIZE = 1_000;
const BULK_TRIALS = 4;
const PROCESS_C1_JOBS = 600;
const PROCESS_C50_JOBS = 2_000;
const PROCESS_TRIALS = 4;
const LATENCY_SAMPLES = 150;
const LATENCY_TRIALS = 2;
const STEP_UNITS = 3_000;

const schema = z.object({ id: z.number().int(), to: z.string(), subject: z.string() });
type Payload = z.infer<typeof schema>;
const payloadOf = (id: number): Payload => ({ id, to: `user${id}@example.com`, subject: "Welcome aboard" });

const JOB_OPTIONS: JobsOptions = { attempts: 3, backoff: { type: "switchyard" } };
const workerOptions = (connection: Redis, prefix: string, concurrency: number): WorkerOptions => ({
  connection,
  prefix,
  concurrency,
  lockDuration: 30_000,
  stalledInterval: 30_000,
  maxStalledCount: 3,
  settings: { backoffStrategy: () => 1_000 },
});

const prefix = `sy-bench-${randomBytes(3).toString("hex")}`;
let sequence = 0;
/** A fresh queue / job name, the same length on both sides. */
const freshName = (side: "raw" | "sy") => `${side}-${String(++sequence).padStart(5, "0")}`;

/** Raw BullMQ: a Queue on a default ioredis client, Workers on a shared `maxRetriesPerRequest: null` one. */
class Raw {
  readonly producer = new Redis(REDIS_URL);
  readonly workerConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  readonly queue: Queue;
  readonly name = freshName("raw");

  constructor() {
    this.queue = new Queue(this.name, { connection: this.producer, prefix });
  }

  async close(): Promise<void> {
    await this.queue.close();
    await Promise.all([this.producer.quit(), this.workerConnection.quit()]);
  }
}

/** The adapter: a client with one job, on its own connections. */
class Adapter {
  readonly name = freshName("sy");
  readonly job;
  readonly client: Switchyard;
  onHandle: () => void = () => {};

  constructor() {
    // Async, as raw's processor is: neither side's handler is cheaper than the other's.
    this.job = defineJob({
      name: this.name,
      schema,
      handler: async () => {
        this.onHandle();
      },
    });
    this.client = createSwitchyard({
      backend: bullmq({ url: REDIS_URL, prefix }),
      jobs: [this.job],
      logger: silentLogger,
    });
  }

  work(concurrency: number): BullmqWorker {
    return this.client.work({ concurrency }) as BullmqWorker;
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** Collects the garbage the setup (pre-filling the queue) left, so it is not collected during a trial. */
const collectGarbage: () => void = (() => {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  return () => gc();
})();

// ---- measurements: each trial returns jobs/s (or latencies in ms) for one side ----

/** `jobs` enqueues by `callers` concurrent callers, each awaiting its enqueue before the next. */
async function concurrently(callers: number, jobs: number, enqueue: () => Promise<unknown>) {
  let left = jobs;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (left-- > 0) await enqueue();
    }),
  );
}

type EnqueueFigures = Record<"add" | "concurrent" | "bulk", [number[], number[]]>;

/** Enqueue throughput, one by one, concurrently and in bulk: both sides stay connected for the round's trials. */
async function enqueueRound(): Promise<EnqueueFigures> {
  const raw = new Raw();
  const adapter = new Adapter();
  await raw.queue.waitUntilReady();
  await adapter.client.enqueue(adapter.job, payloadOf(-1)); // connects, as waitUntilReady does for raw
  let next = 0;
  const add: Record<Side, () => Promise<void>> = {
    raw: async () => {
      for (let i = 0; i < ADD_JOBS; i++) await raw.queue.add(raw.name, payloadOf(next++), JOB_OPTIONS);
    },
    adapter: async () => {
      for (let i = 0; i < ADD_JOBS; i++) await adapter.client.enqueue(adapter.job, payloadOf(next++));
    },
  };
  const concurrent: Record<Side, () => Promise<void>> = {
    raw: () =>
      concurrently(CONCURRENT_CALLERS, CONCURRENT_JOBS, () =>
        raw.queue.add(raw.name, payloadOf(next++), JOB_OPTIONS),
      ),
    adapter: () =>
      concurrently(CONCURRENT_CALLERS, CONCURRENT_JOBS, () =>
        adapter.client.enqueue(adapter.job, payloadOf(next++)),
      ),
  };
  const bulk: Record<Side, () => Promise<void>> = {
    raw: async () => {
      for (let i = 0; i < BULK_JOBS; i += BULK_SIZE) {
        await raw.queue.addBulk(
          Array.from({ length: BULK_SIZE }, () => ({
            name: raw.name,
            data: payloadOf(next++),
            opts: JOB_OPTIONS,
          })),
        );
      }
    },
    adapter: async () => {
      for (let i = 0; i < BULK_JOBS; i += BULK_SIZE) {
        await adapter.client.enqueueMany(
          adapter.job,
          Array.from({ length: BULK_SIZE }, () => payloadOf(next++)),
        );
      }
    },
  };
  const result: EnqueueFigures = { add: [[], []], concurrent: [[], []], bulk: [[], []] };
  for (const [name, trials, jobs, body] of [
    ["add", ADD_TRIALS, ADD_JOBS, add],
    ["concurrent", ADD_TRIALS, CONCURRENT_JOBS, concurrent],
    ["bulk", BULK_TRIALS, BULK_JOBS, bulk],
  ] as const) {
    for (const order of abba(trials)) {
      for (const side of order) {
        collectGarbage();
        const started = performance.now();
        await body[side]();
        result[name][side === "raw" ? 0 : 1].push(jobs / ((performance.now() - started) / 1_000));
      }
    }
  }
  await raw.close();
  await adapter.close();
  await Promise.all([obliterate(raw.name), obliterate(adapter.name)]);
  return result;
}

/** Times a pre-filled queue's drain, from the first handler start to the last job's completion, in wall and CPU time. */
function drainTimer(jobs: number) {
  let first = 0;
  let cpu: NodeJS.CpuUsage | undefined;
  let completed = 0;
  let resolve!: (result: Drain) => void;
  const done = new Promise<Drain>((r) => {
    resolve = r;
  });
  return {
    done,
    started() {
      if (first !== 0) return;
      first = performance.now();
      cpu = process.cpuUsage();
    },
    completed() {
      if (++completed !== jobs) return;
      const ms = performance.now() - first;
      const used = process.cpuUsage(cpu);
      resolve({ perSecond: jobs / (ms / 1_000), cpuMsPerJob: (used.user + used.system) / 1_000 / jobs });
    },
  };
}

interface Drain {
  perSecond: number;
  /** CPU time of this process per job: the client-side cost, whatever else the machine runs. */
  cpuMsPerJob: number;
}

async function processRaw(concurrency: number, jobs: number): Promise<Drain> {
  const raw = new Raw();
  for (let i = 0; i < jobs; i += BULK_SIZE) {
    await raw.queue.addBulk(
      Array.from({ length: Math.min(BULK_SIZE, jobs - i) }, (_, k) => ({
        name: raw.name,
        data: payloadOf(i + k),
        opts: JOB_OPTIONS,
      })),
    );
  }
  collectGarbage();
  const timer = drainTimer(jobs);
  const worker = new Worker(
    raw.name,
    async () => {
      timer.started();
    },
    workerOptions(raw.workerConnection, prefix, concurrency),
  );
  worker.on("completed", () => timer.completed());
  const drain = await timer.done;
  await worker.close();
  await raw.close();
  await obliterate(raw.name);
  return drain;
}

async function processAdapter(concurrency: number, jobs: number): Promise<Drain> {
  const adapter = new Adapter();
  for (let i = 0; i < jobs; i += BULK_SIZE) {
    await adapter.client.enqueueMany(
      adapter.job,
      Array.from({ length: Math.min(BULK_SIZE, jobs - i) }, (_, k) => payloadOf(i + k)),
    );
  }
  collectGarbage();
  const timer = drainTimer(jobs);
  adapter.onHandle = () => timer.started();
  const worker = adapter.work(concurrency);
  for (const bullWorker of worker.workers) bullWorker.on("completed", () => timer.completed());
  const drain = await timer.done;
  await worker.stop();
  await adapter.close();
  await obliterate(adapter.name);
  return drain;
}

/** Closed loop at concurrency 1: enqueue, wait for the handler to start, wait for completion, repeat. */
async function latencyLoop(
  enqueue: () => Promise<unknown>,
  onStart: (record: () => void) => void,
  onCompleted: (next: () => void) => void,
): Promise<number[]> {
  const samples: number[] = [];
  let startedAt = 0;
  let resolveStart!: () => void;
  let resolveDone!: () => void;
  onStart(() => {
    startedAt = performance.now();
    resolveStart();
  });
  onCompleted(() => resolveDone());
  for (let i = 0; i < LATENCY_SAMPLES + 20; i++) {
    const started = new Promise<void>((r) => {
      resolveStart = r;
    });
    const done = new Promise<void>((r) => {
      resolveDone = r;
    });
    const t0 = performance.now();
    await enqueue();
    await started;
    if (i >= 20) samples.push(startedAt - t0); // the first 20 warm up
    await done;
  }
  return samples;
}

async function latencyRaw(): Promise<number[]> {
  const raw = new Raw();
  let record = () => {};
  const worker = new Worker(
    raw.name,
    async () => {
      record();
    },
    workerOptions(raw.workerConnection, prefix, 1),
  );
  await worker.waitUntilReady();
  await raw.queue.waitUntilReady();
  collectGarbage();
  let i = 0;
  const samples = await latencyLoop(
    () => raw.queue.add(raw.name, payloadOf(i++), JOB_OPTIONS),
    (fn) => {
      record = fn;
    },
    (next) => worker.on("completed", next),
  );
  await worker.close();
  await raw.close();
  await obliterate(raw.name);
  return samples;
}

async function latencyAdapter(): Promise<number[]> {
  const adapter = new Adapter();
  const worker = adapter.work(1);
  await worker.ready;
  collectGarbage();
  let i = 0;
  const samples = await latencyLoop(
    () => adapter.client.enqueue(adapter.job, payloadOf(i++)),
    (fn) => {
      adapter.onHandle = fn;
    },
    (next) => {
      for (const bullWorker of worker.workers) bullWorker.on("completed", next);
    },
  );
  await worker.stop();
  await adapter.close();
  await obliterate(adapter.name);
  return samples;
}

/** Deletes whatever the run left under its prefix. */
async function cleanup(): Promise<void> {
  const redis = new Redis(REDIS_URL);
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 5_000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== "0");
  await redis.quit();
}

/** Deletes one queue's keys (BullMQ's obliterate), cheaper than scanning the keyspace after every trial. */
async function obliterate(name: string): Promise<void> {
  const connection = new Redis(REDIS_URL);
  const queue = new Queue(name, { connection, prefix });
  await queue.obliterate({ force: true });
  await queue.close();
  await connection.quit();
}

const bullmqBench: BenchSuite = async ({ rounds }) => {
  const series = new BenchSeries();
  const record = (name: string, figures: [number[], number[]]) => series.record(name, figures);
  // One small untimed pass, so both sides run JIT-compiled code when measured.
  await trials(
    1,
    () => processRaw(10, 500),
    () => processAdapter(10, 500),
  );
  await enqueueRound();

  for (let round = 0; round < rounds; round++) {
    const enqueue = await enqueueRound();
    record("add one by one", enqueue.add);
    record(`enqueue by ${CONCURRENT_CALLERS} concurrent callers`, enqueue.concurrent);
    record("addBulk", enqueue.bulk);
    for (const [concurrency, jobs] of [
      [1, PROCESS_C1_JOBS],
      [50, PROCESS_C50_JOBS],
    ] as const) {
      const [raw, adapter] = await trials(
        PROCESS_TRIALS,
        () => processRaw(concurrency, jobs),
        () => processAdapter(concurrency, jobs),
      );
      record(`process c=${concurrency}`, [raw.map((d) => d.perSecond), adapter.map((d) => d.perSecond)]);
      record(`CPU per job, process c=${concurrency}`, [
        raw.map((d) => d.cpuMsPerJob),
        adapter.map((d) => d.cpuMsPerJob),
      ]);
    }
    const [rawLatency, adapterLatency] = await trials(LATENCY_TRIALS, latencyRaw, latencyAdapter);
    for (const p of [50, 95, 99]) {
      record(`latency p${p}`, [
        rawLatency.map((samples) => percentile(samples, p)),
        adapterLatency.map((samples) => percentile(samples, p)),
      ]);
    }
    console.log(`round ${round + 1}/${rounds} done`);
  }

  // Durable steps: jobs of 10 no-op steps against 10x as many plain jobs, on the adapter alone.
  const steps = await stepCost(() => bullmq({ url: REDIS_URL, prefix }), {
    rounds,
    units: STEP_UNITS,
    concurrency: 50,
  });
  await cleanup();
  return [...series.measurements((name) => name.startsWith("latency") || name.startsWith("CPU")), steps];
};

export default bullmqBench;
