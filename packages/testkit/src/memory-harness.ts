import { type MemoryWorker, memory } from "@switchyard/core";
import type { ConformanceHarness } from "./harness.js";

/** The harness of the reference backend. A crash abandons running jobs; they run again after 300 ms. */
export function memoryHarness(): ConformanceHarness {
  return {
    name: "memory",
    createBackend: () => memory({ stalledAfter: "300ms" }),
    async start(client, { concurrency }) {
      await client.schedules.sync();
      // The backend's own worker (not client.work()) because the harness needs its crash().
      const backend = client.backend as unknown as { work(options: { concurrency: number }): MemoryWorker };
      const worker = backend.work({ concurrency });
      await worker.ready;
      return { stop: (options) => worker.stop(options), crash: async () => worker.crash() };
    },
  };
}
