// The memory backend alone (there is no raw library to compare with): 100,000 no-op jobs.
import { createSwitchyard, defineJob, memory, silentLogger } from "@switchyard/core";
import { z } from "zod";
import { type BenchMeasurement, type BenchSuite, median, round } from "../bench-result.js";
import { stepCost } from "../step-cost.js";

const JOBS = 100_000;
const BATCH = 1_000;

async function oneRound(): Promise<{ enqueue: number; process: number; endToEnd: number }> {
  let done = 0;
  let finished!: () => void;
  const allDone = new Promise<void>((resolve) => {
    finished = resolve;
  });
  const noop = defineJob({
    name: "bench.noop",
    schema: z.object({ n: z.number() }),
    handler: () => {
      if (++done === JOBS) finished();
    },
  });
  const jobs = createSwitchyard({ jobs: [noop], logger: silentLogger });
  const payloads = Array.from({ length: BATCH }, (_, n) => ({ n }));

  const enqueueStart = performance.now();
  for (let i = 0; i < JOBS; i += BATCH) await jobs.enqueueMany(noop, payloads);
  const enqueueMs = performance.now() - enqueueStart;

  const processStart = performance.now();
  const worker = jobs.work({ concurrency: 100 });
  await allDone;
  const processMs = performance.now() - processStart;
  await worker.stop();
  await jobs.close();
  return {
    enqueue: JOBS / (enqueueMs / 1_000),
    process: JOBS / (processMs / 1_000),
    endToEnd: JOBS / ((enqueueMs + processMs) / 1_000),
  };
}

const memoryBench: BenchSuite = async ({ rounds }) => {
  const results: Array<Awaited<ReturnType<typeof oneRound>>> = [];
  for (let round = 0; round < rounds; round++) results.push(await oneRound());
  const measure = (name: string, pick: (r: (typeof results)[number]) => number): BenchMeasurement => ({
    name,
    unit: "jobs/s",
    adapter: round(median(results.map(pick))),
    rounds,
  });
  return [
    measure(`enqueueMany ${JOBS.toLocaleString("en")} no-op jobs`, (r) => r.enqueue),
    measure(`process ${JOBS.toLocaleString("en")} no-op jobs (worker concurrency 100)`, (r) => r.process),
    measure("enqueue + process, end to end", (r) => r.endToEnd),
    await stepCost(() => memory(), { rounds, units: 50_000, concurrency: 100 }),
  ];
};

export default memoryBench;
