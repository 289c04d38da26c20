import { randomBytes } from "node:crypto";
import type { Backend, StopOptions } from "@switchyard/core";
import type { EnqueueRequest, JobRuntime } from "@switchyard/core/adapter";
import { toMilliseconds } from "@switchyard/core/adapter";
import {
  type InngestExecutor,
  type InngestExecutorOptions,
  startInngestExecutor,
} from "@switchyard/emulator-inngest";
import type { ConformanceHarness, RunningRuntime } from "@switchyard/testkit";
import { type InngestBackendOptions, inngest } from "../src/index.js";
import { AppServer } from "./app-server.js";

/** The SDK's own logs would drown the test output. */
export const silentLogger = { info() {}, warn() {}, error() {}, debug() {} };

/**
 * The conformance harness of the Inngest adapter, against the testkit's local Inngest executor
 * (real inngest SDK on both sides of the wire, cloud mode: every call is signed and checked).
 *
 * - Timing is real (`timeScale` 1): the scenarios measure seconds. Inngest's own retry backoff only
 *   applies when a call breaks off (crash recovery); its 0-30 s jitter is turned off so that that
 *   retry comes 15 s later, as the first entry of Inngest's backoff table says.
 * - Each backend is its own Inngest app (own app id), served by its own HTTP server, synced with
 *   the executor before its first enqueue (an Inngest app is deployed and synced before events are
 *   sent to it, or they start nothing).
 * - "Not started" is the executor holding the app's calls: runs stay queued and nothing calls the
 *   app until `start()`. On the real platform an app that is not up yet fails the call, and
 *   Inngest retries it after its backoff; holding keeps the scenarios' timing without that.
 * - `stop()` holds the app again and drains (graceful) or cuts off the calls in flight;
 *   `crash()` cuts them off at once, as a killed process: Inngest sees a broken connection.
 * - Once started, the app server answers through `client.handler()`, the app's public entry point
 *   (before that, only the sync reaches it, through the backend's handler).
 */
export async function inngestHarness(
  overrides: Partial<InngestBackendOptions> = {},
  executorOptions: InngestExecutorOptions = {},
): Promise<ConformanceHarness & { executor: InngestExecutor }> {
  const executor = await startInngestExecutor({ retryJitter: false, ...executorOptions });
  return {
    name: "inngest",
    executor,
    providedByHarness: {
      "worker.gracefulStop":
        "the test's HTTP server drains its connections on stop; in production, your HTTP server's graceful shutdown (the frameworks' default)",
      "worker.crashRecovery":
        "the emulator retries a call whose connection broke, as Inngest does; in production, Inngest",
    },
    createBackend() {
      const appId = `conformance-${randomBytes(4).toString("hex")}`;
      executor.holdApp(appId);
      const backend = inngest({
        appId,
        baseUrl: executor.url,
        signingKey: executor.signingKey,
        eventKey: executor.eventKey,
        isDev: false,
        logger: silentLogger,
        ...overrides,
      });
      return new HostedBackend(backend, executor, appId);
    },
    async start(client, _options) {
      const hosted = client.backend as HostedBackend;
      if (!(hosted instanceof HostedBackend))
        throw new Error("the client's backend is not from this harness");
      await hosted.deploy();
      hosted.serveThrough(client.handler());
      await client.schedules.sync();
      executor.releaseApp(hosted.appId);
      return hosted.runtime();
    },
    dispose: () => executor.close(),
  };
}

/**
 * The adapter's backend as deployed in a test: served by an AppServer and synced with the
 * executor before the first enqueue. Every Backend method is the adapter's own.
 */
class HostedBackend implements Backend {
  readonly appId: string;
  readonly #inner: Backend;
  readonly #executor: InngestExecutor;
  #server?: Promise<AppServer>;
  /** The client's `handler()` once started. */
  #handler?: (request: Request) => Promise<Response>;

  constructor(inner: Backend, executor: InngestExecutor, appId: string) {
    this.#inner = inner;
    this.#executor = executor;
    this.appId = appId;
  }

  get capabilities() {
    return this.#inner.capabilities;
  }

  /** Answers every call from now on through `handler` (the client's). */
  serveThrough(handler: (request: Request) => Promise<Response>): void {
    this.#handler = handler;
  }

  /** Serves the handler and syncs the app, once. */
  deploy(): Promise<AppServer> {
    this.#server ??= (async () => {
      const server = await AppServer.start((request) => (this.#handler ?? this.#inner.handler!())(request));
      await this.#executor.sync(server.url);
      return server;
    })();
    return this.#server;
  }

  runtime(): RunningRuntime {
    return {
      stop: async (options: StopOptions = {}) => {
        this.#executor.holdApp(this.appId);
        const server = await this.deploy();
        if (options.graceful ?? true) {
          await server.drain(options.timeout === undefined ? undefined : toMilliseconds(options.timeout));
        }
        server.cutOff();
      },
      crash: async () => {
        this.#executor.holdApp(this.appId);
        (await this.deploy()).cutOff();
      },
    };
  }

  attach(runtime: JobRuntime): void {
    this.#inner.attach(runtime);
  }
  async enqueue(requests: ReadonlyArray<EnqueueRequest>) {
    await this.deploy();
    return this.#inner.enqueue(requests);
  }
  get(id: string) {
    return this.#inner.get(id);
  }
  cancel(id: string) {
    return this.#inner.cancel(id);
  }
  retry(id: string) {
    return this.#inner.retry(id);
  }
  listFailed(options: { job?: string; limit: number }) {
    return this.#inner.listFailed(options);
  }
  counts(options: { job?: string }) {
    return this.#inner.counts!(options);
  }
  list(options: Parameters<NonNullable<Backend["list"]>>[0]) {
    return this.#inner.list!(options);
  }
  upsertSchedule(...args: Parameters<Backend["upsertSchedule"]>) {
    return this.#inner.upsertSchedule(...args);
  }
  removeSchedule(id: string) {
    return this.#inner.removeSchedule(id);
  }
  listSchedules() {
    return this.#inner.listSchedules();
  }
  handler() {
    return this.#inner.handler!();
  }
  async close(): Promise<void> {
    await this.#inner.close();
    if (this.#server) await (await this.#server).close();
  }
}
