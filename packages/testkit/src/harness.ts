import type { Backend, StopOptions, Switchyard } from "@switchyard/core";

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
  /** Releases what the harness holds (servers, connections, schemas). Called once after all scenarios. */
  dispose?(): Promise<void>;
}
