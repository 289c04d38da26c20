import type { Backend, Feature, StopOptions, Switchyard } from "@switchyard/core";

/** What runs the handlers of one client: a worker (pull), or an HTTP server hosting `handler()` (push). */
export interface RunningRuntime {
  /** Stops taking jobs. `graceful` (default true) waits for running attempts. */
  stop(options?: StopOptions): Promise<void>;
  /**
   * Dies as a killed process would: running attempts are abandoned, not finished or failed.
   * The backend must run them again on its own (lock expiry, redelivery).
   */
  crash(): Promise<void>;
}

/** How the conformance kit drives one backend. Adapters implement it in their test folder. */
export interface ConformanceHarness {
  /** The backend's name, as in its capability manifest. */
  readonly name: string;
  /** A fresh backend, isolated from every other (own prefix, schema or namespace). Called once per scenario. */
  createBackend(): Promise<Backend> | Backend;
  /**
   * Starts the runtime for `client` (created on a backend from createBackend). Before it is started,
   * no handler of that client runs.
   */
  start(client: Switchyard, options: { concurrency: number }): Promise<RunningRuntime>;
  /**
   * A second backend on the same store as `backend` (same prefix, schema or namespace), as another
   * process of the same app, or the next deploy, would have. Scenarios about several processes
   * (shared concurrency limits, declared schedules after a redeploy) need it. Absent: one process only.
   */
  reconnect?(backend: Backend): Promise<Backend> | Backend;
  /**
   * Features that the harness (or an emulator standing in for the platform), not the adapter's
   * shipped code, makes pass, with who provides them in production: for example a push backend's
   * graceful stop is the test's HTTP server draining its connections. Scenarios that need them are
   * reported as passed by the harness, so the compatibility table never credits the adapter. Default: none.
   */
  readonly providedByHarness?: Readonly<Partial<Record<Feature, string>>>;
  /** Releases what the harness holds (servers, connections, schemas). Called once after all scenarios. */
  dispose?(): Promise<void>;
}
