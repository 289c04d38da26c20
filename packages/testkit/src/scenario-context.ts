import { randomBytes } from "node:crypto";
import { createSwitchyard, silentLogger } from "@switchyard/core";
import type { ConformanceHarness } from "./harness.js";
import type { ScenarioContext } from "./scenario.js";
import { TelemetryRecorder } from "./telemetry-recorder.js";

/** A ScenarioContext plus the cleanup that closes what the scenario opened, newest first. */
export function createScenarioContext(harness: ConformanceHarness): {
  context: ScenarioContext;
  cleanup(): Promise<void>;
} {
  const cleanups: Array<() => Promise<void>> = [];
  const context: ScenarioContext = {
    harness,
    jobName: (base) => `${base}-${randomBytes(4).toString("hex")}`,
    async client(jobs, options = {}) {
      const backend = await harness.createBackend();
      let client: ReturnType<typeof createSwitchyard>;
      try {
        client = createSwitchyard({ backend, jobs, logger: silentLogger, ...options });
      } catch (error) {
        await backend.close(); // refused at creation (NotSupportedError): release what the backend opened
        throw error;
      }
      cleanups.push(() => client.close());
      return client;
    },
    async sibling(client, jobs) {
      if (!harness.reconnect) throw new Error(`the ${harness.name} harness has no reconnect()`);
      const backend = await harness.reconnect(client.backend);
      const sibling = createSwitchyard({ backend, jobs, logger: silentLogger });
      cleanups.push(() => sibling.close());
      return sibling;
    },
    telemetry(options) {
      const recorder = new TelemetryRecorder(options);
      cleanups.push(() => recorder.shutdown());
      return recorder;
    },
    async start(client, options = {}) {
      const runtime = await harness.start(client, { concurrency: options.concurrency ?? 10 });
      cleanups.push(() => runtime.stop({ graceful: false }));
      return runtime;
    },
  };
  return {
    context,
    async cleanup() {
      const errors: unknown[] = [];
      for (const cleanup of cleanups.reverse()) {
        await cleanup().catch((error: unknown) => errors.push(error));
      }
      if (errors.length > 0) throw new AggregateError(errors, "scenario cleanup failed");
    },
  };
}
