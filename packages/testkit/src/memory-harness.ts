import { type MemoryWorker, memory } from "@switchyard/core";
import type { ConformanceHarness } from "./harness.js";

/** The harness of the reference backend. A crash abandons running jobs; they run again after 300 ms. */
export function memoryHarness(): ConformanceHarness {
  return {
    name: "memory",
    createBackend: () => memory({ stalledAfter: "300ms" }),
    async start(client, { concurrency }) {
      // The public client's worker (schedule sync, option checks); its crash() is the backend's.
      const worker = client.work({ concurrency }) as MemoryWorker;
      await worker.ready;
      return { stop: (options) => worker.stop(options), crash: async () => worker.crash() };
    },
  };
}
