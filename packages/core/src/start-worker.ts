import type { AttemptActivity } from "./attempt-activity.js";
import type { BackendWorker } from "./backend.js";
import type { JobLogger, StopOptions, Worker, WorkerHealth, WorkerOptions } from "./interfaces.js";
import { resolveStopOptions } from "./stop-options.js";
import { setLongTimeout } from "./timers/long-timeout.js";

/**
 * Starts a backend's worker for the client and ties it to the declared schedules:
 * - `ready` resolves once the worker takes jobs and the declared schedules are stored. It is not
 *   swallowed: a worker that cannot start (bad URL, unreachable server, invalid schedule) rejects
 *   it, which an app that never awaits it sees as an unhandled rejection (a process that has
 *   nothing else to do exits non-zero), and the worker is stopped so it takes no more jobs.
 * - `stop()` checks its options before anything stops, and enforces a graceful stop's timeout for
 *   every backend: after `timeout` it asks the backend for a hard stop (running attempts abort).
 * The returned worker is the backend's own (its extra methods, such as a test harness's `crash()`,
 * stay reachable) with `ready` and `stop` wrapped.
 */
export function startWorker(
  startBackendWorker: (options: Required<WorkerOptions>) => BackendWorker,
  options: Required<WorkerOptions>,
  syncSchedules: () => Promise<void>,
  logger: JobLogger,
  activity: AttemptActivity,
): Worker {
  const startedAt = new Date();
  let status: WorkerHealth["status"] = "starting";
  const worker = startBackendWorker(options);
  let stopCalled = false;
  const ready = Promise.all([syncSchedules(), worker.ready]).then(
    () => {
      if (status === "starting") status = "ready";
    },
    async (error: unknown) => {
      if (status === "starting") status = "failed";
      // A worker stopped before it was ready fails its start by design: nothing to report then.
      if (!stopCalled) {
        logger.error(`worker could not start: ${(error as Error)?.message ?? String(error)}`, { error });
        await worker.stop({ graceful: false }).catch(() => {});
      }
      throw error;
    },
  );
  const wrapped: Worker = {
    ready,
    stop(stopOptions?: StopOptions) {
      let resolved: ReturnType<typeof resolveStopOptions>;
      try {
        resolved = resolveStopOptions(stopOptions);
      } catch (error) {
        return Promise.reject(error); // nothing has stopped: the worker runs on
      }
      // The app chose to stop: a start failure is no longer news (stop itself reports its own).
      stopCalled = true;
      ready.catch(() => {});
      if (status !== "stopped") status = "stopping";
      const { graceful, timeoutMs } = resolved;
      const stopped =
        !graceful || timeoutMs === undefined ? worker.stop({ graceful }) : stopWithin(worker, timeoutMs);
      return stopped.then(() => {
        status = "stopped";
      });
    },
    health() {
      // A backend may have stopped its worker on its own: a ready worker that takes no jobs is stopped.
      if (status === "ready" && worker.takingJobs?.() === false) status = "stopped";
      return { status, takingJobs: status === "ready", startedAt, ...activity.figures() };
    },
  };
  // The backend's other members (a harness's crash(), ...) act on the backend's worker itself.
  return new Proxy(worker as BackendWorker & Worker, {
    get(target, property) {
      if (property === "ready" || property === "stop" || property === "health") return wrapped[property];
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** A graceful stop that turns hard after `timeoutMs`: resolves once the backend's worker has stopped. */
function stopWithin(worker: BackendWorker, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setLongTimeout(() => {
      worker.stop({ graceful: false }).then(resolve, reject);
    }, timeoutMs);
    // `timeout` still reaches backends that enforce it themselves; the hard stop above is idempotent.
    worker.stop({ graceful: true, timeout: timeoutMs }).then(
      () => {
        timer.clear();
        resolve();
      },
      (error: unknown) => {
        timer.clear();
        reject(error);
      },
    );
  });
}
