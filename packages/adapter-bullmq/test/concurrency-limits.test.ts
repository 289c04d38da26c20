import { randomBytes } from "node:crypto";
import { createSwitchyard, defineJob, type JobLogger, type Switchyard } from "@switchyard/core";
import { sleep, waitFor } from "@switchyard/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { type BullmqWorker, bullmq } from "../src/index.js";
import { deleteKeys, REDIS_URL } from "./redis-test-server.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

/** Handlers of every process in this test, counted together as if they shared one Redis's queue. */
class ActiveCount {
  active = 0;
  most = 0;
  done = 0;

  async run(): Promise<void> {
    this.most = Math.max(this.most, ++this.active);
    await sleep(150);
    this.active--;
    this.done++;
  }

  reset(): void {
    this.most = this.active;
  }
}

/** A process of the app on `prefix`: its own backend and client, its job defined with `concurrency`. */
function appProcess(prefix: string, name: string, count: ActiveCount, concurrency: number | undefined) {
  const warnings: string[] = [];
  const logger: JobLogger = { info: () => {}, warn: (message) => warnings.push(message), error: () => {} };
  const job = defineJob({
    name,
    schema: z.object({ n: z.number() }),
    ...(concurrency === undefined ? {} : { concurrency }),
    handler: () => count.run(),
  });
  const client: Switchyard = createSwitchyard({
    backend: bullmq({ url: REDIS_URL, prefix }),
    jobs: [job],
    logger,
  });
  cleanups.push(() => client.close());
  return { client, job, warnings };
}

async function started(client: Switchyard): Promise<BullmqWorker> {
  const worker = client.work({ concurrency: 10 }) as BullmqWorker;
  cleanups.push(() => worker.stop({ graceful: false }));
  await worker.ready;
  return worker;
}

describe("a job's concurrency across worker processes", () => {
  it("holds when a worker whose code leaves the limit out starts after one that defines it (a rolling deploy), with a warning; it is lifted once the limited worker stops", {
    timeout: 30_000,
  }, async () => {
    const prefix = `sy-limits-${randomBytes(3).toString("hex")}`;
    cleanups.push(async () => void (await deleteKeys(`${prefix}:*`)));
    const name = `limited-${randomBytes(3).toString("hex")}`;
    const count = new ActiveCount();
    const a = appProcess(prefix, name, count, 2);
    const b = appProcess(prefix, name, count, undefined);
    const workerA = await started(a.client);
    await started(b.client); // the next deploy, without the limit
    expect(b.warnings.join("\n")).toMatch(
      new RegExp(
        `job "${name}" defines no concurrency limit in this worker, but another running worker defines concurrency 2: 2 holds`,
      ),
    );
    expect(a.warnings).toEqual([]);

    await a.client.enqueueMany(
      a.job,
      Array.from({ length: 12 }, (_, n) => ({ n })),
    );
    await waitFor(() => count.done === 12, { message: "twelve jobs to run", timeoutMs: 20_000 });
    expect(count.most, "never more than the limit at once, across both processes").toBe(2);

    // The old deploy goes away: no running worker defines the limit any more.
    await workerA.stop();
    count.reset();
    await b.client.enqueueMany(
      b.job,
      Array.from({ length: 8 }, (_, n) => ({ n })),
    );
    await waitFor(() => count.done === 20, { message: "eight more jobs to run", timeoutMs: 20_000 });
    expect(count.most, "the limit lifted").toBeGreaterThan(2);
  });

  it("the lowest limit of the running workers holds, whichever started first", {
    timeout: 30_000,
  }, async () => {
    const prefix = `sy-limits-${randomBytes(3).toString("hex")}`;
    cleanups.push(async () => void (await deleteKeys(`${prefix}:*`)));
    const name = `lowest-${randomBytes(3).toString("hex")}`;
    const count = new ActiveCount();
    const wide = appProcess(prefix, name, count, 5);
    const narrow = appProcess(prefix, name, count, 1);
    await started(narrow.client);
    await started(wide.client);
    expect(wide.warnings.join("\n")).toMatch(
      /defines concurrency 5 in this worker, but another running worker defines concurrency 1: 1 holds/,
    );
    await wide.client.enqueueMany(
      wide.job,
      Array.from({ length: 6 }, (_, n) => ({ n })),
    );
    await waitFor(() => count.done === 6, { message: "six jobs to run", timeoutMs: 20_000 });
    expect(count.most).toBe(1);
  });
});
