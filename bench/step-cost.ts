// What a durable step costs next to a plain job, on one backend: N jobs of 10 no-op steps each
// against 10·N plain no-op jobs, in the same run, interleaved. Reported as units of work per second
// (a step, or a plain job), so the ratio reads "a step costs 1/ratio plain jobs".
import { type Backend, createSwitchyard, defineJob, silentLogger } from "@switchyard/core";
import { z } from "zod";
import { type BenchMeasurement, median, round } from "./bench-result.js";

const STEPS_PER_JOB = 10;

/** Runs `count` units through `backend` and returns units per second. */
async function drain(
  backend: Backend,
  count: number,
  concurrency: number,
  asSteps: boolean,
): Promise<number> {
  let done = 0;
  let finished!: () => void;
  const allDone = new Promise<void>((resolve) => {
    finished = resolve;
  });
  const jobCount = asSteps ? count / STEPS_PER_JOB : count;
  const job = defineJob({
    name: asSteps ? "bench.steps" : "bench.plain",
    schema: z.object({ n: z.number() }),
    handler: async (_payload, ctx) => {
      if (asSteps) {
        for (let step = 0; step < STEPS_PER_JOB; step++) await ctx.step.run(`s${step}`, () => step);
      }
      if (++done === jobCount) finished();
    },
  });
  const jobs = createSwitchyard({ backend, jobs: [job], logger: silentLogger });
  await jobs.enqueueMany(
    job,
    Array.from({ length: jobCount }, (_, n) => ({ n })),
  );
  const started = performance.now();
  const worker = jobs.work({ concurrency });
  await allDone;
  const seconds = (performance.now() - started) / 1_000;
  await worker.stop();
  await jobs.close();
  return count / seconds;
}

/**
 * Interleaves plain and step rounds on fresh backends from `makeBackend` and returns the measurement:
 * raw = plain no-op jobs/s, adapter = no-op steps/s, ratio = steps per plain job's time.
 */
export async function stepCost(
  makeBackend: () => Backend | Promise<Backend>,
  options: { rounds: number; units: number; concurrency: number },
): Promise<BenchMeasurement> {
  const plain: number[] = [];
  const steps: number[] = [];
  for (let r = 0; r < options.rounds; r++) {
    plain.push(await drain(await makeBackend(), options.units, options.concurrency, false));
    steps.push(await drain(await makeBackend(), options.units, options.concurrency, true));
  }
  const plainMedian = median(plain);
  const stepMedian = median(steps);
  return {
    name: `${options.units / STEPS_PER_JOB} jobs of ${STEPS_PER_JOB} no-op steps vs ${options.units} plain no-op jobs (c=${options.concurrency}); per second: plain jobs (raw) vs steps (adapter)`,
    unit: "jobs/s",
    raw: round(plainMedian),
    adapter: round(stepMedian),
    ratio: round(stepMedian / plainMedian, 3),
    rounds: options.rounds,
  };
}
