import { randomBytes } from "node:crypto";
import type { ConformanceHarness } from "@switchyard/testkit";
import { type BullmqWorker, bullmq } from "../src/index.js";
import { assertRedisReachable, deleteKeys, REDIS_URL } from "./redis-test-server.js";

/** Lock settings short enough that a crashed worker's job runs again within seconds (production: 30 s each). */
export const TEST_LOCK_DURATION = "3s";
export const TEST_STALLED_INTERVAL = "1s";

/**
 * Runs the conformance kit against the Redis at `REDIS_URL` (default the local server). Every backend
 * gets its own key prefix under one prefix per run, and `dispose()` deletes the run's keys. `crash()`
 * closes the worker's BullMQ workers without finishing their jobs, so locks expire and the next
 * worker's stalled check runs them again; test/crash.test.ts does it for real with SIGKILL.
 */
export function bullmqHarness(): ConformanceHarness {
  const runPrefix = `sy-test-${randomBytes(4).toString("hex")}`;
  let backends = 0;
  let checked: Promise<void> | undefined;
  return {
    name: "bullmq",
    async createBackend() {
      checked ??= assertRedisReachable();
      await checked;
      return bullmq({
        url: REDIS_URL,
        prefix: `${runPrefix}-${++backends}`,
        lockDuration: TEST_LOCK_DURATION,
        stalledInterval: TEST_STALLED_INTERVAL,
      });
    },
    async start(client, { concurrency }) {
      await client.schedules.sync();
      // The backend's own worker (not client.work()) because the harness needs its crash().
      const backend = client.backend as unknown as { work(options: { concurrency: number }): BullmqWorker };
      const worker = backend.work({ concurrency });
      await worker.ready;
      return { stop: (options) => worker.stop(options), crash: () => worker.crash() };
    },
    async dispose() {
      await deleteKeys(`${runPrefix}-*`);
    },
  };
}
