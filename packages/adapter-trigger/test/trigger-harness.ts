// The emulator installs the SDK's task catalog: it must load before @trigger.dev/sdk, which the
// adapter imports, so that the tasks toTriggerTasks defines are registered (see its README).
import "@switchyard/emulator-trigger";
import type { Backend, StopOptions } from "@switchyard/core";
import { toMilliseconds } from "@switchyard/core/adapter";
import { startTriggerEmulator, type TriggerEmulator } from "@switchyard/emulator-trigger";
import type { ConformanceHarness, RunningRuntime } from "@switchyard/testkit";
import { toTriggerTasks, trigger } from "../src/index.js";

/**
 * How long the emulated platform takes to notice a dead machine. Trigger.dev waits 5 minutes for
 * the heartbeats (trigger.dev/docs/runs/heartbeats); the kit's crash scenario waits 45 s.
 */
const HEARTBEAT_TIMEOUT_MS = 1_000;

export interface TriggerHarness extends ConformanceHarness {
  /** The emulator behind a backend this harness created. */
  emulatorOf(backend: Backend): TriggerEmulator;
}

/**
 * The conformance harness of the Trigger.dev adapter, against the test kit's Trigger.dev emulator
 * (the real @trigger.dev/sdk on both sides: the adapter's TriggerClient calls its REST API, and
 * it executes the tasks with the SDK's own TaskExecutor).
 *
 * - Each backend gets its own emulator (its own Trigger.dev environment): the SDK's task catalog
 *   is process-wide, so each emulator only runs the tasks deployed to it.
 * - Timing is real (`timeScale` 1): the scenarios measure seconds.
 * - "Not started" is "not deployed yet": until `start()` the emulator has deployed no task of the
 *   client, so runs wait in PENDING_VERSION, as on Trigger.dev before the first deploy.
 * - `start()` is a deploy: `toTriggerTasks(client)` defines the tasks, the emulator deploys exactly
 *   those, and its environment concurrency limit becomes the kit's worker concurrency.
 * - `stop()` stops starting attempts and drains (graceful) or crashes the ones in flight;
 *   `crash()` crashes them at once: their machines die, and the platform retries them once the
 *   heartbeats stop (after HEARTBEAT_TIMEOUT_MS here). The emulator runs as a PRODUCTION
 *   environment (its default): under `trigger dev` (DEVELOPMENT) Trigger.dev does not retry them.
 * - `dispose()` fails if the emulator answered any request with a 5xx: with `validateResponses`
 *   on, that is how it reports an answer the SDK's schemas would reject.
 */
export function triggerHarness(): TriggerHarness {
  const emulators = new Map<Backend, TriggerEmulator>();
  const emulatorOf = (backend: Backend) => {
    const emulator = emulators.get(backend);
    if (!emulator) throw new Error("the client's backend was not created by this harness");
    return emulator;
  };
  return {
    name: "trigger",
    emulatorOf,
    providedByHarness: {
      "worker.gracefulStop":
        "the emulator stops starting attempts and drains the running ones on stop; in production, Trigger.dev (a new deploy lets attempts in flight finish on their version)",
      "worker.crashRecovery":
        "the emulator, as a PRODUCTION environment, fails a dead machine's attempt once its heartbeats stop and retries it; in production, Trigger.dev's run engine in deployed environments (not under `trigger dev`)",
    },
    async createBackend() {
      const emulator = await startTriggerEmulator({ heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS });
      emulator.deploy([]);
      const backend = trigger({ secretKey: emulator.secretKey, baseURL: emulator.url });
      emulators.set(backend, emulator);
      return backend;
    },
    async start(client, { concurrency }) {
      const emulator = emulatorOf(client.backend);
      // The limit first: deploying starts the runs that waited for the tasks.
      emulator.setConcurrencyLimit(concurrency);
      emulator.deploy(Object.values(toTriggerTasks(client)));
      await client.schedules.sync();
      emulator.resumeExecution();
      return runtimeOf(emulator);
    },
    async dispose() {
      const failures = [...emulators.values()].flatMap((emulator) =>
        emulator.requests.filter((request) => request.status >= 500),
      );
      await Promise.all([...emulators.values()].map((emulator) => emulator.close()));
      if (failures.length > 0) {
        throw new Error(
          `the emulator answered ${failures.length} request(s) with a 5xx: ${failures
            .slice(0, 5)
            .map((request) => `${request.method} ${request.path} → ${request.status}`)
            .join(", ")}`,
        );
      }
    },
  };
}

function runtimeOf(emulator: TriggerEmulator): RunningRuntime {
  // A run checkpointed by a wait (WAITING) is on no machine: nothing to drain or crash.
  const executing = () =>
    emulator.attempts.some(
      (attempt) => attempt.outcome === "executing" && emulator.getRun(attempt.runId)?.status !== "WAITING",
    );
  return {
    async stop(options: StopOptions = {}) {
      emulator.pauseExecution();
      if (options.graceful ?? true) {
        const timeoutMs = options.timeout === undefined ? 3_600_000 : toMilliseconds(options.timeout);
        await emulator.waitFor(() => !executing(), { timeoutMs }).catch(() => {});
      }
      emulator.crashExecutingAttempts();
    },
    async crash() {
      emulator.pauseExecution();
      emulator.crashExecutingAttempts();
    },
  };
}
