import { randomBytes } from "node:crypto";
import type { Backend } from "@switchyard/core";
import type { ConformanceHarness } from "@switchyard/testkit";
import { type BullmqWorker, bullmq } from "../src/index.js";
import { assertRedisReachable, deleteKeys, REDIS_URL } from "./redis-test-server.js";

/** Lock settings short enough that a crashed worker's job runs again within seconds (production: 30 s each). */
export const TEST_LOCK_DURATION = "3s";
export const TEST_STALLED_INTERVAL = "1s";

/**
 * Runs the conformance kit against the Redis at `REDIS_URL` (default the local server). Every backend
 * gets its own key prefix under one prefix per run, and `dispose()` deletes the run's keys. Workers are
 * the public client's (`client.work()`, which syncs declared schedules); their `crash()` closes the
 * BullMQ workers without finishing their jobs, so locks expire and the next worker's stalled check
 * runs them again (test/crash.test.ts does it for real with SIGKILL). `reconnect` opens a second
 * backend on the same Redis and prefix, as another process of the app would.
 */
export function bullmqHarness(): ConformanceHarness {
  const runPrefix = `sy-test-${randomBytes(4).toString("hex")}`;
  const prefixes = new WeakMap<Backend, string>();
  let backends = 0;
  let checked: Promise<void> | undefined;
  function open(prefix: string): Backend {
    const backend = bullmq({
      url: REDIS_URL,
      prefix,
      lockDuration: TEST_LOCK_DURATION,
      stalledInterval: TEST_STALLED_INTERVAL,
    });
    prefixes.set(backend, prefix);
    return backend;
  }
  return {
    name: "bullmq",
    async createBackend() {
      checked ??= assertRedisReachable();
      await checked;
      return open(`${runPrefix}-${++backends}`);
    },
    reconnect(backend) {
      const prefix = prefixes.get(backend);
      if (prefix === undefined) throw new Error("reconnect(): not a backend of this harness");
      return open(prefix);
    },
    async start(client, { concurrency }) {
      const worker = client.work({ concurrency }) as BullmqWorker;
      await worker.ready;
      return { stop: (options) => worker.stop(options), crash: () => worker.crash() };
    },
    async dispose() {
      await deleteKeys(`${runPrefix}-*`);
    },
  };
}
