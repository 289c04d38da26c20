import { randomBytes } from "node:crypto";
import { createSwitchyard, type Switchyard, type SwitchyardOptions, silentLogger } from "@switchyard/core";
import { type BullmqBackendOptions, type BullmqWorker, bullmq } from "../src/index.js";
import { TEST_LOCK_DURATION, TEST_STALLED_INTERVAL } from "./bullmq-harness.js";
import { assertRedisReachable, deleteKeys, REDIS_URL } from "./redis-test-server.js";

/** Clients on the test Redis, each under its own key prefix, closed and deleted by `cleanup()`. */
export class TestClients {
  readonly #prefix = `sy-unit-${randomBytes(4).toString("hex")}`;
  readonly #clients: Switchyard[] = [];
  readonly #workers: BullmqWorker[] = [];
  #count = 0;

  /** A unique job name. */
  name(base: string): string {
    return `${base}-${randomBytes(3).toString("hex")}`;
  }

  readonly #prefixes = new WeakMap<Switchyard, string>();

  /** A client's key prefix, for raw BullMQ access to the same queues. */
  prefixOf(client: Switchyard): string {
    return this.#prefixes.get(client)!;
  }

  async client(jobs: SwitchyardOptions["jobs"], options: BullmqBackendOptions = {}): Promise<Switchyard> {
    await assertRedisReachable();
    const prefix = `${this.#prefix}-${this.#count++}`;
    const client = createSwitchyard({
      backend: bullmq({
        url: REDIS_URL,
        prefix,
        lockDuration: TEST_LOCK_DURATION,
        stalledInterval: TEST_STALLED_INTERVAL,
        ...options,
      }),
      jobs,
      logger: silentLogger,
    });
    this.#clients.push(client);
    this.#prefixes.set(client, prefix);
    return client;
  }

  /** A started worker (the public client's, which syncs declared schedules), stopped by cleanup. */
  async worker(client: Switchyard, concurrency = 10): Promise<BullmqWorker> {
    const worker = client.work({ concurrency }) as BullmqWorker;
    this.#workers.push(worker);
    await worker.ready;
    return worker;
  }

  async cleanup(): Promise<void> {
    for (const worker of this.#workers.splice(0)) await worker.stop({ graceful: false }).catch(() => {});
    for (const client of this.#clients.splice(0)) await client.close().catch(() => {});
    await deleteKeys(`${this.#prefix}-*`);
  }
}
